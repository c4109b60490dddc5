import { useState } from 'preact/hooks';
import { Dialog } from '../ui/Dialog.js';
import { Field, TextField } from '../ui/Field.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { linksApi, type Link, type LinkFields } from './linksApi.js';

/**
 * Creating and editing a link, in a dialog over the list. On create only what is filled in is
 * sent (an empty slug asks the API to generate one); on edit only what changed, an emptied title
 * or expiry becoming null. The password is write-only: the API never returns it, so editing
 * offers "keep", "replace" (type a new one) or "remove". The API validates; its messages are shown
 * at the fields.
 */

/** `2026-12-25T10:00:00.000Z` → the value of a datetime-local input, in the browser's zone. */
function localInputValue(iso: string | null): string {
  if (iso === null) return '';
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The datetime-local value (the browser's zone) as an ISO instant, or null when empty or unreadable. */
function isoOfLocal(value: string): string | null {
  if (value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const tagsOf = (text: string): string[] =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag, index, all) => tag !== '' && all.indexOf(tag) === index);

/** The body to send: all filled fields on create, only the changed ones on edit. */
export function linkBody(values: { destination_url: string; slug: string; title: string; tags: string; expires: string }, password: { mode: 'keep' | 'set' | 'remove'; value: string }, original: Link | null): LinkFields {
  const body: LinkFields = {};
  const destination = values.destination_url.trim();
  const slug = values.slug.trim();
  const title = values.title.trim();
  const tags = tagsOf(values.tags);
  const expires = isoOfLocal(values.expires);
  if (original === null) {
    if (destination !== '') body.destination_url = destination;
    if (slug !== '') body.slug = slug;
    if (title !== '') body.title = title;
    if (tags.length > 0) body.tags = tags;
    if (expires !== null) body.expires_at = expires;
    if (password.mode === 'set' && password.value !== '') body.password = password.value;
    return body;
  }
  if (destination !== original.destination_url) body.destination_url = destination;
  if (slug !== original.slug) body.slug = slug;
  if (title !== (original.title ?? '')) body.title = title === '' ? null : title;
  if (tags.join('\n') !== original.tags.join('\n')) body.tags = tags;
  if (values.expires !== localInputValue(original.expires_at)) body.expires_at = expires;
  if (password.mode === 'set') body.password = password.value;
  if (password.mode === 'remove') body.password = null;
  return body;
}

export function LinkForm({ clientId, link, onSaved, onClose }: { clientId: string; link: Link | null; onSaved: (link: Link) => void; onClose: () => void }) {
  const [values, setValues] = useState({
    destination_url: link?.destination_url ?? '',
    slug: link?.slug ?? '',
    title: link?.title ?? '',
    tags: link?.tags.join(', ') ?? '',
    expires: localInputValue(link?.expires_at ?? null),
  });
  const [passwordMode, setPasswordMode] = useState<'keep' | 'set' | 'remove'>(link?.has_password ? 'keep' : 'set');
  const [password, setPassword] = useState('');
  const submission = useSubmit();
  const set = (name: keyof typeof values) => (value: string) => setValues({ ...values, [name]: value });
  const save = (): Promise<void> =>
    submission.run(async () => {
      const body = linkBody(values, { mode: link === null || !link.has_password ? (password === '' ? 'keep' : 'set') : passwordMode, value: password }, link);
      const saved = link === null ? await linksApi.create(clientId, body) : Object.keys(body).length === 0 ? link : await linksApi.update(clientId, link.id, body);
      onSaved(saved);
    });
  const unplaced = submission.failure && !['destination_url', 'slug', 'title', 'tags', 'password', 'expires_at'].some((f) => submission.failure?.details.some((d) => d.field === f || d.field.startsWith(`${f}.`)));
  const tagError = submission.failure?.details.find((d) => d.field === 'tags' || d.field.startsWith('tags.'))?.message;
  return (
    <Dialog title={link === null ? 'New link' : `Edit /${link.slug}`} onClose={onClose}>
      <form class="form link-form" noValidate onSubmit={onSubmitRun(save)}>
        <TextField label="Destination URL" name="destination_url" type="url" value={values.destination_url} onInput={set('destination_url')} error={submission.errorOf('destination_url')} placeholder="https://example.com/summer-sale" required />
        <TextField label="Slug" name="slug" value={values.slug} onInput={set('slug')} error={submission.errorOf('slug')} hint={link === null ? 'Leave empty for a generated one. Letters, digits, - and _; not case-sensitive.' : 'Changing it breaks links already shared.'} />
        <TextField label="Title" name="title" value={values.title} onInput={set('title')} error={submission.errorOf('title')} />
        <TextField label="Tags" name="tags" value={values.tags} onInput={set('tags')} error={tagError} hint="Separated by commas." placeholder="campaign, summer" />
        <Field label="Expires" error={submission.errorOf('expires_at')} hint="Your local time. After it, the short URL answers “expired”. Leave empty for never.">
          {(aria) => <input {...aria} type="datetime-local" name="expires_at" value={values.expires} onInput={(e) => set('expires')(e.currentTarget.value)} />}
        </Field>
        {link?.has_password && (
          <fieldset>
            <legend>Password</legend>
            <div class="choices">
              {(
                [
                  ['keep', 'Keep the current password'],
                  ['set', 'Replace it'],
                  ['remove', 'Remove it: anyone with the short URL gets through'],
                ] as const
              ).map(([mode, label]) => (
                <div class="choice" key={mode}>
                  <input type="radio" id={`password-${mode}`} name="password_mode" checked={passwordMode === mode} onChange={() => setPasswordMode(mode)} />
                  <label for={`password-${mode}`}>{label}</label>
                </div>
              ))}
            </div>
          </fieldset>
        )}
        {(!link?.has_password || passwordMode === 'set') && (
          <Field label={link?.has_password ? 'New password' : 'Password'} error={submission.errorOf('password')} hint="Optional. Visitors must type it before they are sent on.">
            {(aria) => <input {...aria} type="password" name="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
          </Field>
        )}
        {unplaced && (
          <p class="error-note" role="alert">
            {submission.failure?.message}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={submission.busy}>
            {link === null ? 'Create link' : 'Save link'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
