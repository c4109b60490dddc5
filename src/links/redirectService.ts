/**
 * The redirect, without HTTP: which link a slug names and in what state, the click (an event for
 * the link's client, written without waiting: the visitor is redirected at once), the password
 * check (rate limited per address and link and per link, a few at once: passwordTries.ts; the hash
 * compared in constant time by verifyLinkPassword) and the form's CSRF token. The routes turn its outcomes into answers.
 */
import type { StoredEvent } from '../events/eventStore.js';
import type { Locator } from '../ingest/geo/geoLookup.js';
import type { RateLimit } from '../ingest/rateLimit.js';
import type { EventSink } from '../pipeline/eventSink.js';
import type { Clock } from '../shared/clock.js';
import type { MetaChanges } from '../shared/metaChanges.js';
import type { WebhookEvents } from '../webhooks/webhookEvents.js';
import { clickId as newClickId, linkClickEvent } from './clickEvent.js';
import type { LinkRow } from './linkRow.js';
import { ClickBatch, DEFAULT_CLICK_BATCH, type ClickBatchOptions } from './clickBatch.js';
import { issueFormToken, verifyFormToken } from './passwordFormToken.js';
import { DEFAULT_PASSWORD_TRY_LIMITS, PasswordTries, type TryRefusal } from './passwordTries.js';
import { redirectLocation } from './redirectLocation.js';
import { ResolvedLinks, type LinkLookups, type ResolvedLink, type ResolvedLinksOptions } from './resolvedLinks.js';

/** A slug as links may have one; anything else is not looked up at all. */
const SLUG = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** One visit of a short URL, as facts. */
export interface Visit {
  /** The visitor's address (the connection's, or a trusted proxy's X-Forwarded-For). */
  ip: string;
  userAgent: string | null;
  /** The Referer header: the page the link was clicked on. */
  referrer: string | null;
  /** The short URL's query string, without `?`. */
  query: string;
  /** The short URL as visited (for the click's `url`); null when it cannot be told. */
  shortUrl: string | null;
}

export interface RedirectServiceOptions {
  lookups: LinkLookups;
  metaChanges: MetaChanges;
  clock: Clock;
  sink: EventSink;
  /** The deployment's shared secret (deriveIpHashSecret): signs click ids, keys visitor ids and hashed addresses. */
  secret: Buffer;
  /** The location database opened at start. */
  geo: Locator;
  /** Told of every click (batched by the webhooks module); none: clicks are only stored. */
  webhooks?: WebhookEvents | undefined;
  verifyPassword(password: string, stored: string): Promise<boolean>;
  /** Keys the password form's CSRF tokens. */
  formSecret: Buffer;
  /** Password tries per address (or /64) and link. */
  passwordRateLimit?: RateLimit;
  /** Password tries per link, all addresses together. */
  passwordLinkRateLimit?: RateLimit;
  /** Password checks (scrypt) running at once in the process. */
  passwordChecksAtOnce?: number;
  cache?: Partial<ResolvedLinksOptions>;
  /** How long clicks are gathered before they are written (see clickBatch.ts). */
  clickBatch?: Partial<ClickBatchOptions>;
  /** Where a dropped click is reported (the write queue was full, the journal failed). */
  warn(message: string, error: unknown): void;
}

/** The short URL with its query (the click's UTM fields are read from it), within what a URL column should hold. */
const clickedUrl = (visit: Visit): string => (visit.shortUrl === null ? '' : visit.query === '' ? visit.shortUrl : `${visit.shortUrl}?${visit.query}`.slice(0, 2048));

export type Followable = { state: 'active'; found: ResolvedLink } | { state: 'password'; found: ResolvedLink };
export type Lookup = Followable | { state: 'not_found' } | { state: 'expired' };

/** `rate_limited`: too many tries from this address (`address`) or from all (`link`) for the link; `busy`: too many checks running now. */
export type PasswordOutcome = { outcome: 'right'; location: string } | { outcome: 'wrong' } | ({ outcome: 'rate_limited' } & TryRefusal);

export class RedirectService {
  private readonly links: ResolvedLinks;
  private readonly tries: PasswordTries;
  private readonly clicks: ClickBatch;
  /** Clicks acknowledged to the visitor but not stored (the writer refused them): visible in the log. */
  droppedClicks = 0;

  constructor(private readonly options: RedirectServiceOptions) {
    this.links = new ResolvedLinks(options.lookups, options.metaChanges, options.clock, options.cache);
    this.tries = new PasswordTries({
      perAddress: options.passwordRateLimit ?? DEFAULT_PASSWORD_TRY_LIMITS.perAddress,
      perLink: options.passwordLinkRateLimit ?? DEFAULT_PASSWORD_TRY_LIMITS.perLink,
      atOnce: options.passwordChecksAtOnce ?? DEFAULT_PASSWORD_TRY_LIMITS.atOnce,
    });
    this.clicks = new ClickBatch(options.sink, { ...DEFAULT_CLICK_BATCH, ...options.clickBatch }, (count, error) => this.dropClicks(count, error));
  }

  /** Hands the clicks gathered so far to the writer: before closing, and before reading what was acknowledged. */
  flushClicks(): void {
    this.clicks.flush();
  }

  private dropClicks(count: number, error: unknown): void {
    this.droppedClicks += count;
    this.options.warn(`${count} click(s) were not stored (${this.droppedClicks} dropped since start)`, error);
  }

  /** The link a slug names, case-insensitively, and whether it may be followed now. */
  async lookup(slug: string): Promise<Lookup> {
    if (!SLUG.test(slug)) return { state: 'not_found' };
    const found = await this.links.resolve(slug.toLowerCase());
    if (found === null) return { state: 'not_found' };
    const { expires_at, password_hash } = found.link;
    if (expires_at !== null && expires_at <= this.options.clock()) return { state: 'expired' };
    return { state: password_hash === null ? 'active' : 'password', found };
  }

  /** Records the click (not awaited) and answers where to send the visitor. */
  follow(found: ResolvedLink, visit: Visit): string {
    const clickId = newClickId(found.link.id, this.options.secret);
    this.record(found, visit);
    return redirectLocation(found.link.destination_url, visit.query, clickId);
  }

  /** A location without a click: what HEAD answers (a link checker or a preview is no click). */
  peek(found: ResolvedLink, query: string): string {
    return redirectLocation(found.link.destination_url, query, newClickId(found.link.id, this.options.secret));
  }

  formToken(link: LinkRow): string {
    return issueFormToken(this.options.formSecret, link.id, this.options.clock());
  }

  formTokenValid(link: LinkRow, token: string | undefined): boolean {
    return verifyFormToken(this.options.formSecret, link.id, token, this.options.clock());
  }

  /**
   * A password try, within the limits of passwordTries.ts (charged before the check, right or
   * wrong, so guessing costs the same), checked against the stored hash. The right one redirects
   * and counts a click.
   */
  async tryPassword(found: ResolvedLink, password: string, visit: Visit): Promise<PasswordOutcome> {
    const stored = found.link.password_hash;
    if (stored === null) return { outcome: 'wrong' };
    const right = await this.tries.check(visit.ip, found.link.id, this.options.clock(), () => this.options.verifyPassword(password, stored));
    if (typeof right !== 'boolean') return { outcome: 'rate_limited', ...right };
    return right ? { outcome: 'right', location: this.follow(found, visit) } : { outcome: 'wrong' };
  }

  private record(found: ResolvedLink, visit: Visit): void {
    const { link, client } = found;
    const drop = (error: unknown): void => this.dropClicks(1, error);
    if (client === null) {
      drop(new Error('the links-only client row is missing'));
      return;
    }
    const at = this.options.clock();
    let event: StoredEvent;
    try {
      event = linkClickEvent(
        link,
        { ip: visit.ip, userAgent: visit.userAgent, referrer: visit.referrer, at },
        { shortUrl: clickedUrl(visit), ipStorage: client.ip_storage, secret: this.options.secret, geo: this.options.geo },
      );
    } catch (error) {
      drop(error);
      return;
    }
    // Not awaited: the visitor is redirected at once; the click is written with others moments later.
    this.clicks.add(event, { client_id: client.id, life: client.created_at, received_at: at });
    this.notify(link, at, event);
  }

  /** Tells the webhooks module; a failure there never fails a redirect. */
  private notify(link: LinkRow, at: number, event: StoredEvent): void {
    try {
      this.options.webhooks?.clicked({
        link_id: link.id,
        slug: link.slug,
        client_id: link.client_id,
        clicked_at: new Date(at).toISOString(),
        referrer_host: event.referrer_host,
        country: event.country,
        device_type: event.device_type,
        browser: event.browser,
        is_bot: event.is_bot,
      });
    } catch (error) {
      this.options.warn(`the webhooks were not told of a click on link ${link.id}`, error);
    }
  }
}
