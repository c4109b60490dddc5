import type { Static } from 'typebox';
import type { IngestEvent } from '../ingest/schemas.js';
import { BLOG_POSTS, BROWSING_PAGES, DEVICES, HOURLY_WEIGHTS, LANDING_PATHS, PRODUCTS, SOURCES, type DeviceProfile, type Product, type TrafficSource } from './catalog.js';
import { Random } from './random.js';
import { instantOfLocal, localDate } from './zonedTime.js';

export interface TrafficOptions {
  /** The demo site's host, e.g. demo.example.com. */
  host: string;
  /** The client's zone: traffic peaks at local lunch time and evening. */
  timezone: string;
  /** Local days of traffic, today included (today only up to `now`). */
  days: number;
  /** Sessions on an average weekday; weekends, noise and a slow growth trend vary it. */
  sessionsPerDay: number;
  seed: number;
  /** Nothing is generated after this instant (epoch ms). */
  now: number;
}

/** One event as a server-side forwarder sends it to `POST /batch`: ingestion's own schema (browser SDK fields, plus the visitor's address and browser). */
export type WireEvent = Static<typeof IngestEvent>;

/** Everything one visit sent, in time order. */
export interface DemoSession {
  events: WireEvent[];
}

interface Visitor {
  device: DeviceProfile;
  deviceId: string;
  /** The id the SDK made up on the first visit. */
  anonymousId: string;
  /** What events carry: the anonymous id until the visitor is identified, then the customer id. */
  distinctId: string;
  identified: boolean;
  ip: string;
}

/** Share of non-bot sessions by a visitor seen before. */
const RETURNING_SHARE = 0.3;
const RETURNING_POOL_MAX = 5000;
const BOUNCE_SHARE = 0.38;
const ADD_TO_CART = 0.22;
const CART_AFTER_ADD = 0.5;
const CHECKOUT_FROM_CART = 0.55;
const ORDER_FROM_CHECKOUT = 0.62;
const LOGIN_IDENTIFIES = 0.6;
const WEEKEND_FACTOR = 0.72;
/** Traffic grows by this share from the first day to the last. */
const GROWTH = 0.25;
const DAY_MS = 86_400_000;

/**
 * /24 networks of large consumer ISPs (Deutsche Telekom, Comcast, Orange, KPN, SoftBank…), so the
 * demo's visitors get countries from the shipped database as real ones would: a Berlin shop's
 * audience, mostly German and European. Each /24 is a provider's pool, and only the truncated
 * network (x.x.x.0) is stored, which is nobody's address. Repeats weight the draw; the countries
 * were read from the shipped database (test/demo.test.ts checks them).
 */
const ADDRESS_PREFIXES = [
  ...['80.128.0.', '217.0.0.', '84.128.0.', '93.192.0.', '79.192.0.', '80.128.0.', '217.0.0.', '84.128.0.', '93.192.0.', '79.192.0.'], // DE
  ...['80.108.0.', '62.178.0.'], // AT
  ...['85.0.0.', '85.0.0.'], // CH
  ...['24.0.0.', '73.0.0.', '98.0.0.', '71.0.0.'], // US
  ...['82.0.0.', '82.0.0.'], // GB
  ...['90.0.0.', '86.192.0.'], // FR
  ...['84.80.0.', '77.160.0.'], // NL
  '79.0.0.', // IT
  '88.0.0.', // ES
  '83.0.0.', // PL
  '89.160.20.', // SE
  '126.0.0.', // JP
  '177.0.0.', // BR
  '49.36.0.', // IN
  '1.120.0.', // AU
  '24.48.0.', // CA
];

/**
 * Synthetic traffic of a small coffee shop: returning and new visitors on real browsers (and a few
 * crawlers), arriving from search, social, newsletters and campaigns, reading posts, viewing
 * products and sometimes buying (Segment's ecommerce event names), identifying at checkout or
 * login. Deterministic for a given seed and `now`.
 */
export function* demoTraffic(options: TrafficOptions): Generator<DemoSession> {
  const random = new Random(options.seed);
  const returning: Visitor[] = [];
  let customers = 0;
  let orders = 0;
  const today = localDate(options.now, options.timezone);
  for (let day = 0; day < options.days; day++) {
    const date = today - (options.days - 1 - day) * DAY_MS;
    const weekday = new Date(date).getUTCDay();
    const trend = 1 - GROWTH + (GROWTH * (day + 1)) / options.days;
    const noise = 0.85 + random.next() * 0.3;
    const count = Math.round(options.sessionsPerDay * trend * noise * (weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1));
    const starts: number[] = [];
    for (let i = 0; i < count; i++) {
      const hour = random.weighted(HOURLY_WEIGHTS.map((weight, h) => ({ weight, h }))).h;
      const start = instantOfLocal(date, hour * 3600 + random.next() * 3600, options.timezone);
      if (start <= options.now) starts.push(Math.floor(start));
    }
    starts.sort((a, b) => a - b);
    for (const start of starts) {
      const device = random.weighted(DEVICES);
      let visitor: Visitor;
      if (device.bot) visitor = newVisitor(random, device);
      else if (returning.length > 0 && random.chance(RETURNING_SHARE)) visitor = random.pick(returning);
      else {
        visitor = newVisitor(random, device);
        if (returning.length < RETURNING_POOL_MAX) returning.push(visitor);
        else returning[random.int(0, RETURNING_POOL_MAX - 1)] = visitor;
      }
      const visit = new Visit(random, options.host, visitor, start, {
        nextCustomer: () => `cust_${String(++customers).padStart(5, '0')}`,
        nextOrder: () => `ORD-${String(10_000 + ++orders)}`,
      });
      const events = device.bot ? visit.crawl() : visit.browse(random.weighted(SOURCES));
      const kept = events.filter((event) => Date.parse(String(event.timestamp)) <= options.now);
      if (kept.length > 0) yield { events: kept };
    }
  }
}

function newVisitor(random: Random, device: DeviceProfile): Visitor {
  const anonymousId = random.uuid();
  return {
    device,
    deviceId: random.uuid(),
    anonymousId,
    distinctId: anonymousId,
    identified: false,
    ip: `${random.pick(ADDRESS_PREFIXES)}${random.int(1, 254)}`,
  };
}

interface Counters {
  nextCustomer(): string;
  nextOrder(): string;
}

/** One session: walks the site page by page, emitting what the SDK would send. */
class Visit {
  private readonly events: WireEvent[] = [];
  private readonly sessionId: string;
  private readonly cart: Product[] = [];
  private time: number;
  private page = '';
  private referrer = '$direct';

  constructor(
    private readonly random: Random,
    private readonly host: string,
    private readonly visitor: Visitor,
    start: number,
    private readonly counters: Counters,
  ) {
    this.sessionId = random.uuid();
    this.time = start;
  }

  /** A crawler rendering a page or two with scripts on. */
  crawl(): WireEvent[] {
    const pages = this.random.int(1, 3);
    for (let i = 0; i < pages; i++) {
      const path = this.random.chance(0.5) ? `/products/${this.random.pick(PRODUCTS).slug}` : this.random.weighted(BROWSING_PAGES).path;
      this.view(path, '$direct');
      this.time += this.random.int(1, 8) * 1000;
    }
    return this.events;
  }

  browse(source: TrafficSource): WireEvent[] {
    const landing = this.random.pick(LANDING_PATHS[source.landing]);
    this.view(landing + campaignQuery(source), source.referrer ?? '$direct');
    if (this.random.chance(BOUNCE_SHARE)) return this.events;
    const pages = Math.min(15, 2 + Math.floor(this.random.logNormal(2.5, 0.7)));
    for (let i = 1; i < pages; i++) {
      this.dwell();
      const next = this.nextPage();
      if (next === null) break;
      this.view(next, this.currentUrl());
      if (next === '/checkout/complete') break;
    }
    return this.events;
  }

  private currentUrl(): string {
    return `https://${this.host}${this.page}`;
  }

  /** Reading time on a page: seconds to minutes, median about half a minute. */
  private dwell(): void {
    this.time += Math.round(Math.min(900, Math.max(3, this.random.logNormal(30, 0.9))) * 1000);
  }

  private nextPage(): string | null {
    const path = this.page.split('?')[0];
    if (path === '/checkout') {
      if (!this.random.chance(ORDER_FROM_CHECKOUT)) return null;
      return '/checkout/complete';
    }
    if (path === '/cart' && this.random.chance(CHECKOUT_FROM_CART)) return '/checkout';
    if (this.cart.length > 0 && path !== '/cart' && this.random.chance(CART_AFTER_ADD)) return '/cart';
    const roll = this.random.next();
    if (roll < 0.5) return `/products/${this.random.weighted(PRODUCTS).slug}`;
    if (roll < 0.85) return this.random.weighted(BROWSING_PAGES).path;
    return this.random.pick(BLOG_POSTS);
  }

  private view(pathAndQuery: string, referrer: string): void {
    this.page = pathAndQuery;
    this.referrer = referrer;
    this.emit('$pageview', {});
    const path = pathAndQuery.split('?')[0] as string;
    const product = PRODUCTS.find((p) => path === `/products/${p.slug}`);
    if (product !== undefined && !this.visitor.device.bot) {
      this.later(1, 4);
      this.emit('Product Viewed', productProperties(product));
      if (this.random.chance(ADD_TO_CART)) {
        this.later(5, 40);
        this.cart.push(product);
        this.emit('Product Added', { ...productProperties(product), quantity: 1, cart_id: this.sessionId.slice(0, 8) });
      }
    } else if (path === '/checkout') {
      this.later(1, 3);
      this.emit('Checkout Started', { ...this.cartTotals(), products: this.cart.map(productProperties) });
    } else if (path === '/checkout/complete') {
      // The e-mail typed at checkout makes a known customer of an anonymous one.
      this.identify();
      this.later(1, 2);
      this.emit('Order Completed', { order_id: this.counters.nextOrder(), ...this.cartTotals(), products: this.cart.map(productProperties) });
    } else if (path === '/account/login' && this.random.chance(LOGIN_IDENTIFIES)) {
      this.later(10, 40);
      this.identify();
    }
  }

  private cartTotals(): Record<string, unknown> {
    const total = Math.round(this.cart.reduce((sum, p) => sum + p.price, 0) * 100) / 100;
    return { total, revenue: total, currency: 'EUR' };
  }

  private identify(): void {
    if (this.visitor.identified) return;
    const previous = this.visitor.distinctId;
    const customer = this.counters.nextCustomer();
    this.visitor.distinctId = customer;
    this.visitor.identified = true;
    this.emit('$identify', { $set: { email: `${customer}@example.com` } }, previous);
  }

  private later(minSeconds: number, maxSeconds: number): void {
    this.time += this.random.int(minSeconds * 1000, maxSeconds * 1000);
  }

  private emit(event: string, extra: Record<string, unknown>, anonDistinctId?: string): void {
    const visitor = this.visitor;
    const device = visitor.device;
    const url = this.currentUrl();
    const properties: Record<string, unknown> = {
      $current_url: url,
      $host: this.host,
      $pathname: this.page.split('?')[0],
      $referrer: this.referrer,
      $referring_domain: this.referrer === '$direct' ? '$direct' : new URL(this.referrer).hostname,
      $screen_width: device.screen.width,
      $screen_height: device.screen.height,
      $lib: 'mythic-web',
      ...campaignProperties(url),
      ...extra,
    };
    const wire: WireEvent = {
      event,
      distinct_id: visitor.distinctId,
      timestamp: new Date(this.time).toISOString(),
      uuid: this.random.uuid(),
      properties,
      $session_id: this.sessionId,
      $device_id: visitor.deviceId,
      $ip: visitor.ip,
      $user_agent: device.userAgent,
    };
    if (anonDistinctId !== undefined) wire.$anon_distinct_id = anonDistinctId;
    this.events.push(wire);
  }
}

function campaignQuery(source: TrafficSource): string {
  if (source.utm === undefined) return '';
  const query = new URLSearchParams({ utm_source: source.utm.source, utm_medium: source.utm.medium, utm_campaign: source.utm.campaign });
  if (source.utm.content !== undefined) query.set('utm_content', source.utm.content);
  if (source.utm.term !== undefined) query.set('utm_term', source.utm.term);
  return `?${query.toString()}`;
}

/** The SDK copies campaign parameters of the page URL into every event of that page. */
function campaignProperties(url: string): Record<string, string> {
  const query = new URL(url).searchParams;
  const found: Record<string, string> = {};
  for (const name of ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content']) {
    const value = query.get(name);
    if (value) found[name] = value;
  }
  return found;
}

function productProperties(product: Product): Record<string, unknown> {
  return { product_id: product.id, sku: product.id, name: product.name, category: product.category, price: product.price, currency: 'EUR' };
}
