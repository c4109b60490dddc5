import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc, type ListPage } from '../api.js';
import { currentQuery, href, navigate, navigateQuery, useHashPath } from '../router.js';
import type { Client } from '../types.js';
import { Field, TextField } from '../ui/Field.js';
import { CopyButton, ErrorNote, formatDate, Loading } from '../ui/misc.js';
import { ConfirmButton } from '../ui/pageParts.js';
import { useAsync } from '../ui/useAsync.js';
import { LinkAnalyticsCard } from './LinkAnalytics.js';
import { LinkForm } from './LinkForm.js';
import { UptimeCard, WebhooksCard } from './LinkMonitoring.js';
import { isLinkPeriod, linksApi, type Link, type LinkPeriod } from './linksApi.js';
import { QrCode } from './QrCode.js';

/**
 * A client's short links (`#/clients/{id}/links`) and one link's page (`…/links/{linkId}`): the
 * list with search, create, edit, copy and delete; per link its clicks, QR code, campaign URL,
 * uptime and webhooks. A lazily loaded chunk, like the analytics page, since it carries the chart
 * and the QR encoder. The admin key sees everything; a client's own key its links and clicks.
 */

const isExpired = (link: Link): boolean => link.expires_at !== null && Date.parse(link.expires_at) <= Date.now();

function Expiry({ link }: { link: Link }) {
  if (link.expires_at === null) return <span class="hint">Never</span>;
  return <span class={isExpired(link) ? 'expired' : undefined}>{isExpired(link) ? `Expired ${formatDate(link.expires_at)}` : formatDate(link.expires_at)}</span>;
}

function LinkBadges({ link }: { link: Link }) {
  return (
    <>
      {link.has_password && <span class="badge off password">Password</span>}
      {isExpired(link) && <span class="badge off">Expired</span>}
    </>
  );
}

function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span class="hint">—</span>;
  return (
    <ul class="tag-list">
      {tags.map((tag) => (
        <li key={tag} class="tag">
          {tag}
        </li>
      ))}
    </ul>
  );
}

/** "Delete…" with a confirmation dialog; `onDeleted` after the API said yes. */
function DeleteLink({ clientId, link, onDeleted }: { clientId: string; link: Link; onDeleted: () => void }) {
  return (
    <ConfirmButton
      label="Delete…"
      name={`Delete /${link.slug}`}
      danger
      title={`Delete /${link.slug}?`}
      message={<p>The short URL stops working at once (it answers “not found”) and its slug becomes free. Clicks already counted stay in the client’s analytics.</p>}
      action="Delete link"
      run={() => linksApi.remove(clientId, link.id)}
      onDone={onDeleted}
    />
  );
}

function LinkTable({ clientId, links, onEdit, onDeleted }: { clientId: string; links: Link[]; onEdit: (link: Link) => void; onDeleted: () => void }) {
  return (
    <div class="table-wrap">
      <table class="records links-table">
        <thead>
          <tr>
            <th scope="col">Link</th>
            <th scope="col">Short URL</th>
            <th scope="col">Destination</th>
            <th scope="col" class="num">
              Clicks
            </th>
            <th scope="col">Tags</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {links.map((link) => (
            <tr key={link.id} data-link={link.id} data-slug={link.slug}>
              <td data-label="Link">
                <a href={href(`/clients/${enc(clientId)}/links/${enc(link.id)}`)}>{link.title ?? `/${link.slug}`}</a>
                {link.title !== null && <span class="hint"> /{link.slug}</span>} <LinkBadges link={link} />
              </td>
              <td data-label="Short URL" class="short-url">
                <code>{link.short_url}</code> <CopyButton text={link.short_url} label="Copy" name={`Copy the short URL of /${link.slug}`} />
              </td>
              <td data-label="Destination" class="destination">
                <span class="truncate" title={link.destination_url}>
                  {link.destination_url}
                </span>
              </td>
              <td data-label="Clicks" class="num clicks" data-value={link.clicks ?? undefined}>
                {link.clicks === null ? <span title="The event engine did not answer">—</span> : link.clicks.toLocaleString()}
              </td>
              <td data-label="Tags">
                <Tags tags={link.tags} />
              </td>
              <td data-label="Expires">
                <Expiry link={link} />
              </td>
              <td class="row-actions">
                <button type="button" aria-label={`Edit /${link.slug}`} onClick={() => onEdit(link)}>
                  Edit
                </button>
                <DeleteLink clientId={clientId} link={link} onDeleted={onDeleted} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ClientHeading({ clientId, admin, title }: { clientId: string; admin: boolean; title: string }) {
  // The client's own key cannot read the client record: it shows the id, as the analytics page does.
  const client = useAsync(() => (admin ? api.get<Client>(`/clients/${enc(clientId)}`).catch(() => null) : Promise.resolve(null)), [clientId, admin]);
  return (
    <p class="breadcrumb">
      {admin ? <a href={href(`/clients/${enc(clientId)}`)}>{client.data?.name ?? clientId}</a> : <span>{clientId}</span>}
      {' › '}
      <span>{title}</span>
    </p>
  );
}

function LinkList({ clientId, admin }: { clientId: string; admin: boolean }) {
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [pages, setPages] = useState<ListPage<Link>[]>([]);
  const [editing, setEditing] = useState<Link | null | 'new'>(null);
  const [note, setNote] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const first = useAsync(() => linksApi.list(clientId, { q }), [clientId, q]);
  useEffect(() => setPages(first.data ? [first.data] : []), [first.data]);
  const last = pages[pages.length - 1];
  const loadMore = async (): Promise<void> => {
    if (!last?.next_cursor) return;
    const next = await linksApi.list(clientId, { q, cursor: last.next_cursor });
    setPages([...pages, next]);
  };
  const links = pages.flatMap((page) => page.data);
  return (
    <section class="links">
      <ClientHeading clientId={clientId} admin={admin} title="Links" />
      <div class="heading">
        <h1>Links</h1>
        <button type="button" class="primary" onClick={() => setEditing('new')}>
          New link
        </button>
      </div>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Search links">
          {(aria) => <input {...aria} type="search" name="q" placeholder="Slug, title or destination" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />}
        </Field>
      </form>
      <p class="copy-state" aria-live="polite">
        {note}
      </p>
      <ErrorNote error={first.error} />
      {first.loading && pages.length === 0 ? (
        <Loading what="links" />
      ) : (
        <>
          {first.data && (
            <p class="count" aria-live="polite">
              {first.data.count} link{first.data.count === 1 ? '' : 's'}
            </p>
          )}
          {links.length > 0 && (
            <LinkTable
              clientId={clientId}
              links={links}
              onEdit={setEditing}
              onDeleted={() => {
                setNote('Link deleted');
                first.reload();
              }}
            />
          )}
          {last?.next_cursor && (
            <button type="button" onClick={() => void loadMore()}>
              Load more
            </button>
          )}
        </>
      )}
      {editing !== null && (
        <LinkForm
          clientId={clientId}
          link={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNote(editing === 'new' ? `Created ${saved.short_url}` : 'Link saved');
            first.reload();
          }}
        />
      )}
    </section>
  );
}

/** The short URL with campaign parameters: what goes into a newsletter, an ad or a printed QR code. */
function CampaignUrl({ link }: { link: Link }) {
  const [values, setValues] = useState({ utm_source: '', utm_medium: '', utm_campaign: '' });
  const url = useMemo(() => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) if (value.trim() !== '') params.set(name, value.trim());
    const query = params.toString();
    return query === '' ? link.short_url : `${link.short_url}${link.short_url.includes('?') ? '&' : '?'}${query}`;
  }, [values, link.short_url]);
  const set = (name: keyof typeof values) => (value: string) => setValues({ ...values, [name]: value });
  return (
    <section class="card campaign" aria-labelledby="campaign-title">
      <h2 id="campaign-title">Share</h2>
      <div class="share">
        <div>
          <form class="inline-form" onSubmit={(event) => event.preventDefault()}>
            <TextField label="UTM source" name="utm_source" value={values.utm_source} onInput={set('utm_source')} placeholder="newsletter" />
            <TextField label="UTM medium" name="utm_medium" value={values.utm_medium} onInput={set('utm_medium')} placeholder="email" />
            <TextField label="UTM campaign" name="utm_campaign" value={values.utm_campaign} onInput={set('utm_campaign')} placeholder="summer-sale" />
          </form>
          <p class="hint">The parameters are passed on to the destination, so the visit is credited to the campaign in the client’s Sources.</p>
          <p>
            <code class="campaign-url" data-testid="campaign-url">
              {url}
            </code>{' '}
            <CopyButton text={url} label="Copy URL" name="Copy the campaign URL" />
          </p>
        </div>
        <QrCode url={url} fileName={`${link.slug}-qr.svg`} />
      </div>
    </section>
  );
}

function LinkDetail({ clientId, linkId, admin }: { clientId: string; linkId: string; admin: boolean }) {
  const link = useAsync(() => linksApi.get(clientId, linkId), [clientId, linkId]);
  const [editing, setEditing] = useState(false);
  const path = useHashPath();
  const asked = new URLSearchParams(path.includes('?') ? currentQuery() : '').get('period');
  const period: LinkPeriod = isLinkPeriod(asked) ? asked : '30d';
  const listPath = `/clients/${enc(clientId)}/links`;
  if (link.error) return <ErrorNote error={link.error} />;
  if (!link.data) return <Loading what="the link" />;
  const current = link.data;
  return (
    <section class="link-detail" data-link={current.id}>
      <p class="breadcrumb">
        <a href={href(listPath)}>Links</a> › <span>/{current.slug}</span>
      </p>
      <div class="heading">
        <h1>
          {current.title ?? `/${current.slug}`} <LinkBadges link={current} />
        </h1>
        <button type="button" onClick={() => setEditing(true)}>
          Edit
        </button>
        <DeleteLink clientId={clientId} link={current} onDeleted={() => navigate(listPath)} />
      </div>
      <dl class="facts">
        <dt>Short URL</dt>
        <dd>
          <code class="short-url">{current.short_url}</code> <CopyButton text={current.short_url} name="Copy the short URL" />
        </dd>
        <dt>Destination</dt>
        <dd>
          <a href={current.destination_url} rel="noopener noreferrer" target="_blank" class="destination">
            {current.destination_url}
          </a>
        </dd>
        <dt>Clicks</dt>
        <dd class="clicks" data-value={current.clicks ?? undefined}>
          {current.clicks === null || current.bot_clicks === null ? (
            <span class="hint">unavailable: the event engine did not answer</span>
          ) : (
            <>
              {current.clicks.toLocaleString()} <span class="hint">(and {current.bot_clicks.toLocaleString()} from bots, all time)</span>
            </>
          )}
        </dd>
        <dt>Tags</dt>
        <dd>
          <Tags tags={current.tags} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <Expiry link={current} />
        </dd>
        <dt>Created</dt>
        <dd>{formatDate(current.created_at)}</dd>
      </dl>
      <LinkAnalyticsCard clientId={clientId} linkId={current.id} period={period} onPeriod={(next) => navigateQuery(next === '30d' ? '' : `period=${next}`)} />
      <CampaignUrl link={current} />
      {admin && (
        <div class="grid">
          <UptimeCard link={current} />
          <WebhooksCard link={current} />
        </div>
      )}
      {editing && (
        <LinkForm
          clientId={clientId}
          link={current}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            link.reload();
          }}
        />
      )}
    </section>
  );
}

export function LinksPage({ clientId, linkId, admin }: { clientId: string; linkId?: string; admin: boolean }) {
  return linkId === undefined ? <LinkList clientId={clientId} admin={admin} /> : <LinkDetail clientId={clientId} linkId={linkId} admin={admin} />;
}
