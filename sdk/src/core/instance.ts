import type { SdkSettings } from '../../../src/loader/remoteConfig.js';
import { onNavigate } from '../shared/navigation.js';
import { checkEvent, MAX_ID_CHARS, tooLong } from './check.js';
import { pageProperties } from './context.js';
import { resolveSettings, type InitConfig, type Settings } from './settings.js';
import { Storage } from './storage.js';
import { Transport } from './transport.js';
import { uuidv4 } from './uuid.js';
import type { WireEvent } from './wire.js';

type Properties = Record<string, unknown>;
type Consent = 'granted' | 'pending' | 'denied';

/** Events captured while consent is pending are held in memory only, up to this many. */
const MAX_PENDING = 100;

interface SessionState {
  id: string;
  /** Last activity, epoch ms. */
  last: number;
}

const isObject = (value: unknown): value is Properties => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One client's SDK on the page. Everything it keeps (ids, super properties, queue, timers,
 * session) belongs to this instance and its storage prefix `<global_name>_<pk>_`, so several
 * clients' instances on one page stay independent.
 */
export class Mythic {
  private settings: Settings | undefined;
  private storage: Storage | undefined;
  private transport: Transport | undefined;
  /** respect_dnt and the browser asks not to be tracked: nothing is sent or stored. */
  private blocked = false;
  private consent: Consent = 'granted';
  private pending: WireEvent[] = [];
  private deviceId = '';
  private distinctId = '';
  private identified = false;
  private superProperties: Properties = {};
  private session: SessionState | undefined;
  private lastPageUrl = '';
  /**
   * What events give as `$referrer`. An SPA navigation leaves `document.referrer` naming the page
   * that loaded the app, so every virtual page would count as another visit from, say, Google;
   * like a real navigation, it names the page navigated from instead (the server drops a
   * referrer on the site's own host from the sources).
   */
  private referrer = document.referrer;
  private leaveSent = true;
  private readyCallbacks: Array<() => void> = [];
  /** One warning per page is enough to point a developer at bad events; a loop must not flood the console. */
  private warned = false;

  constructor(
    private readonly globalName: string,
    private readonly origin: string,
    private readonly remote: Partial<SdkSettings>,
  ) {}

  init(publishableKey: unknown, config?: unknown): void {
    if (this.settings) {
      // Already started (the loader's automatic init ran first): a late init cannot undo what was
      // sent, but a page asking for consent must not keep being tracked without it.
      const late = isObject(config) ? config : {};
      if ((late.require_consent ?? late.requireConsent) === true && this.storage?.get('consent') !== '1') this.requireConsent();
      return;
    }
    if (typeof publishableKey !== 'string' || publishableKey === '') return;
    const settings = resolveSettings(this.remote, isObject(config) ? config : ({} as InitConfig), this.origin);
    this.settings = settings;
    const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
    this.blocked = settings.respect_dnt && (nav.doNotTrack === '1' || nav.globalPrivacyControl === true);
    if (!this.blocked) {
      const storage = new Storage(`${this.globalName}_${publishableKey}_`, () => this.consent === 'granted');
      this.storage = storage;
      const recorded = storage.get('consent');
      this.consent = recorded === '1' ? 'granted' : recorded === '0' ? 'denied' : settings.require_consent ? 'pending' : 'granted';
      this.deviceId = storage.get('device') || storage.cookie('device') || uuidv4();
      this.distinctId = storage.get('distinct_id') || this.deviceId;
      this.identified = storage.get('identified') === '1';
      const stored = storage.getJson<Properties>('props');
      this.superProperties = isObject(stored) ? stored : {};
      this.transport = new Transport(
        `${settings.api_host}/e?key=${encodeURIComponent(publishableKey)}`,
        settings.batch_size,
        settings.flush_interval_ms,
        storage,
      );
      if (this.consent === 'granted') {
        this.persistIdentity();
        this.transport.restore();
      }
      addEventListener('pagehide', () => this.onHide(true));
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') this.onHide(false);
      });
      if (settings.capture_pageview) {
        onNavigate(() => {
          if (location.href !== this.lastPageUrl) this.pageview();
        });
        this.pageview();
      }
    }
    const callbacks = this.readyCallbacks;
    this.readyCallbacks = [];
    for (const callback of callbacks) callback();
  }

  capture(event: unknown, properties?: unknown, extra?: Partial<WireEvent>): void {
    if (!this.settings || this.blocked || this.consent === 'denied' || typeof event !== 'string' || event === '') return;
    const checked = checkEvent({
      event,
      distinct_id: this.distinctId,
      timestamp: new Date().toISOString(),
      uuid: uuidv4(),
      properties: { ...pageProperties(this.referrer), ...this.superProperties, ...(isObject(properties) ? properties : {}) },
      $session_id: this.sessionId(),
      $device_id: this.deviceId,
      ...extra,
    });
    if (checked.warning) this.warn(`${event.slice(0, 50)} ${checked.warning}`);
    const wire = checked.event;
    if (!wire) return;
    if (this.consent === 'pending') {
      if (this.pending.length < MAX_PENDING) this.pending.push(wire);
    } else {
      this.transport?.enqueue(wire);
    }
  }

  /** Links the anonymous visitor to `distinctId`; the server merges the two through $anon_distinct_id. */
  identify(distinctId: unknown, set?: unknown): void {
    if (typeof distinctId === 'number') distinctId = String(distinctId);
    if (typeof distinctId !== 'string' || distinctId === '') return;
    // Every later event would carry it, and the server refuses them all.
    if (tooLong(distinctId)) return this.warn(`identify ignored: the id is over ${MAX_ID_CHARS} characters`);
    const properties = isObject(set) ? { $set: set } : {};
    const previous = this.distinctId;
    if (distinctId === previous) {
      if (isObject(set)) this.capture('$identify', properties);
      return;
    }
    const wasAnonymous = !this.identified;
    this.distinctId = distinctId;
    this.identified = true;
    this.persistIdentity();
    this.capture('$identify', properties, wasAnonymous ? { $anon_distinct_id: previous } : {});
  }

  alias(alias: unknown): void {
    if (typeof alias === 'string' && alias !== '' && alias !== this.distinctId) this.capture('$create_alias', { alias });
  }

  /** Super properties: sent with every later event, kept across pages. */
  register(properties: unknown): void {
    if (!isObject(properties)) return;
    this.superProperties = { ...this.superProperties, ...properties };
    this.storage?.setJson('props', this.superProperties);
  }

  unregister(name: unknown): void {
    if (typeof name !== 'string') return;
    delete this.superProperties[name];
    this.storage?.setJson('props', this.superProperties);
  }

  /** Logout: a new anonymous identity and session on the same device; super properties are dropped. */
  reset(): void {
    this.distinctId = uuidv4();
    this.identified = false;
    this.superProperties = {};
    this.session = undefined;
    this.storage?.remove('props');
    this.storage?.remove('session');
    this.persistIdentity();
  }

  getDistinctId(): string {
    return this.distinctId;
  }

  getSessionId(): string {
    return this.session?.id ?? '';
  }

  /** Hold events in memory and store nothing until grantConsent(). */
  requireConsent(): void {
    if (this.consent === 'pending') return;
    this.consent = 'pending';
    this.transport?.clear();
    this.storage?.clear();
  }

  grantConsent(): void {
    if (!this.storage || this.consent === 'granted') return;
    this.consent = 'granted';
    this.storage.set('consent', '1');
    this.persistIdentity();
    if (this.session) this.storage.setJson('session', this.session);
    if (Object.keys(this.superProperties).length > 0) this.storage.setJson('props', this.superProperties);
    const held = this.pending;
    this.pending = [];
    for (const event of held) this.transport?.enqueue(event);
  }

  revokeConsent(): void {
    if (!this.storage) return;
    this.consent = 'denied';
    this.pending = [];
    this.transport?.clear();
    this.storage.clear();
    // The one thing kept: the refusal itself, so later pages do not start tracking again.
    try {
      localStorage.setItem(`${this.storage.prefix}consent`, '0');
    } catch {
      // Without storage the refusal lasts for this page only.
    }
  }

  flush(): void {
    void this.transport?.send();
  }

  ready(callback: unknown): void {
    if (typeof callback !== 'function') return;
    if (this.settings) (callback as () => void)();
    else this.readyCallbacks.push(callback as () => void);
  }

  private pageview(): void {
    // Without the fragment, as browsers send a Referer.
    if (this.lastPageUrl !== '') this.referrer = this.lastPageUrl.split('#')[0] as string;
    this.lastPageUrl = location.href;
    this.leaveSent = false;
    this.capture('$pageview');
  }

  private onHide(unloading: boolean): void {
    if (unloading && this.settings?.capture_pageleave && !this.leaveSent && this.lastPageUrl) {
      this.leaveSent = true;
      this.capture('$pageleave');
    }
    this.transport?.beacon();
  }

  /** The current session id; a new one after session_timeout_minutes without events (in any tab). */
  private sessionId(): string {
    const now = Date.now();
    const timeout = (this.settings?.session_timeout_minutes ?? 30) * 60_000;
    const stored = this.storage?.getJson<SessionState>('session');
    let session = stored && typeof stored.id === 'string' && typeof stored.last === 'number' ? stored : this.session;
    if (!session || now - session.last > timeout) session = { id: uuidv4(), last: now };
    session.last = now;
    this.session = session;
    this.storage?.setJson('session', session);
    return session.id;
  }

  private warn(message: string): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`[mythic] ${message} (later problems are not reported)`);
  }

  private persistIdentity(): void {
    const storage = this.storage;
    if (!storage) return;
    storage.set('device', this.deviceId);
    storage.setCookie('device', this.deviceId);
    storage.set('distinct_id', this.distinctId);
    if (this.identified) storage.set('identified', '1');
    else storage.remove('identified');
  }
}
