/**
 * What the demo shop's visitors look like: user agents, where they come from, what they read and
 * buy. Weights are rough shares of real-world traffic (StatCounter-like browser mix, mostly
 * search and direct visits), so the dashboard's tables look like a small shop's.
 */

export interface DeviceProfile {
  weight: number;
  userAgent: string;
  screen: { width: number; height: number };
  /** Crawlers view one or two pages, come from nowhere and never buy. */
  bot?: true;
}

const DESKTOP = { width: 1920, height: 1080 };
const LAPTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const ANDROID_PHONE = { width: 412, height: 915 };
const TABLET = { width: 820, height: 1180 };

export const DEVICES: readonly DeviceProfile[] = [
  // Desktop
  { weight: 22, screen: DESKTOP, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
  { weight: 9, screen: LAPTOP, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
  { weight: 6, screen: LAPTOP, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15' },
  { weight: 5, screen: DESKTOP, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0' },
  { weight: 4, screen: DESKTOP, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0' },
  { weight: 1, screen: LAPTOP, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0' },
  { weight: 1, screen: DESKTOP, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
  { weight: 1, screen: DESKTOP, userAgent: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
  // Mobile
  { weight: 20, screen: PHONE, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' },
  { weight: 14, screen: ANDROID_PHONE, userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36' },
  { weight: 3, screen: ANDROID_PHONE, userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36' },
  { weight: 2, screen: PHONE, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1' },
  { weight: 1, screen: ANDROID_PHONE, userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0' },
  // Tablet
  { weight: 4, screen: TABLET, userAgent: 'Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' },
  { weight: 1, screen: { width: 800, height: 1280 }, userAgent: 'Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
  // Crawlers that run scripts, and so reach the analytics
  { weight: 2, bot: true, screen: DESKTOP, userAgent: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36' },
  { weight: 1, bot: true, screen: DESKTOP, userAgent: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36' },
  { weight: 1, bot: true, screen: DESKTOP, userAgent: 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)' },
  { weight: 0.5, bot: true, screen: DESKTOP, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36' },
];

/** How a session arrived: referrer URL (null: typed in or bookmarked) and campaign parameters. */
export interface TrafficSource {
  weight: number;
  referrer: string | null;
  utm?: { source: string; medium: string; campaign: string; content?: string; term?: string };
  /** Where such visitors land (campaigns and social posts point at products or posts). */
  landing: 'home' | 'product' | 'blog' | 'sale';
}

export const SOURCES: readonly TrafficSource[] = [
  { weight: 30, referrer: null, landing: 'home' },
  { weight: 26, referrer: 'https://www.google.com/', landing: 'product' },
  { weight: 6, referrer: 'https://www.google.com/', landing: 'blog' },
  { weight: 4, referrer: 'https://www.bing.com/', landing: 'product' },
  { weight: 2, referrer: 'https://duckduckgo.com/', landing: 'home' },
  { weight: 5, referrer: 'https://t.co/', landing: 'blog' },
  { weight: 2, referrer: 'https://x.com/', landing: 'blog' },
  { weight: 4, referrer: 'https://l.facebook.com/', landing: 'product' },
  { weight: 2, referrer: 'https://www.instagram.com/', landing: 'product' },
  { weight: 2, referrer: 'https://www.reddit.com/', landing: 'blog' },
  { weight: 1, referrer: 'https://news.ycombinator.com/', landing: 'blog' },
  { weight: 1.5, referrer: 'https://www.linkedin.com/', landing: 'blog' },
  { weight: 1, referrer: 'https://www.pinterest.com/', landing: 'product' },
  {
    weight: 5,
    referrer: null,
    landing: 'sale',
    utm: { source: 'newsletter', medium: 'email', campaign: 'winter_sale', content: 'hero_button' },
  },
  {
    weight: 3,
    referrer: null,
    landing: 'blog',
    utm: { source: 'newsletter', medium: 'email', campaign: 'weekly_digest' },
  },
  {
    weight: 4,
    referrer: 'https://www.google.com/',
    landing: 'product',
    utm: { source: 'google', medium: 'cpc', campaign: 'brand_search', term: 'trailhead coffee' },
  },
  {
    weight: 3,
    referrer: 'https://l.facebook.com/',
    landing: 'sale',
    utm: { source: 'facebook', medium: 'paid_social', campaign: 'winter_sale', content: 'carousel_ad' },
  },
  {
    weight: 1.5,
    referrer: 'https://www.instagram.com/',
    landing: 'product',
    utm: { source: 'instagram', medium: 'social', campaign: 'influencer_jan' },
  },
];

export interface Product {
  id: string;
  slug: string;
  name: string;
  category: string;
  price: number;
  weight: number;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'SKU-1001', slug: 'house-blend-beans', name: 'House Blend Beans 1 kg', category: 'Coffee', price: 24.9, weight: 10 },
  { id: 'SKU-1002', slug: 'ethiopia-yirgacheffe', name: 'Ethiopia Yirgacheffe 250 g', category: 'Coffee', price: 14.5, weight: 7 },
  { id: 'SKU-1003', slug: 'decaf-colombia', name: 'Decaf Colombia 500 g', category: 'Coffee', price: 16.0, weight: 3 },
  { id: 'SKU-2001', slug: 'pour-over-kettle', name: 'Pour-Over Kettle', category: 'Equipment', price: 59.0, weight: 4 },
  { id: 'SKU-2002', slug: 'burr-grinder', name: 'Conical Burr Grinder', category: 'Equipment', price: 129.0, weight: 5 },
  { id: 'SKU-2003', slug: 'aeropress', name: 'AeroPress Go', category: 'Equipment', price: 39.95, weight: 6 },
  { id: 'SKU-2004', slug: 'french-press', name: 'French Press 1 l', category: 'Equipment', price: 34.0, weight: 3 },
  { id: 'SKU-3001', slug: 'ceramic-mug', name: 'Ceramic Mug', category: 'Merch', price: 12.0, weight: 3 },
  { id: 'SKU-3002', slug: 'gift-card', name: 'Gift Card', category: 'Gifts', price: 50.0, weight: 2 },
  { id: 'SKU-4001', slug: 'subscription-monthly', name: 'Monthly Coffee Subscription', category: 'Subscriptions', price: 22.0, weight: 4 },
];

export const BLOG_POSTS: readonly string[] = [
  '/blog/how-to-brew-pour-over',
  '/blog/grind-size-guide',
  '/blog/best-coffee-for-espresso',
  '/blog/cold-brew-at-home',
  '/blog/why-fresh-roasted-matters',
];

/** Pages a browsing visitor wanders to between product pages. */
export const BROWSING_PAGES: readonly { weight: number; path: string }[] = [
  { weight: 10, path: '/' },
  { weight: 12, path: '/shop' },
  { weight: 5, path: '/shop/coffee' },
  { weight: 4, path: '/shop/equipment' },
  { weight: 3, path: '/blog' },
  { weight: 2, path: '/about' },
  { weight: 2, path: '/shipping' },
  { weight: 1.5, path: '/contact' },
  { weight: 1.5, path: '/faq' },
  { weight: 1, path: '/account/login' },
];

export const LANDING_PATHS: Record<TrafficSource['landing'], readonly string[]> = {
  home: ['/'],
  product: PRODUCTS.map((p) => `/products/${p.slug}`),
  blog: BLOG_POSTS,
  sale: ['/sale', '/sale/winter'],
};

/** Local-time share of a day's sessions starting in each hour (0–23): quiet nights, a lunch and an evening peak. */
export const HOURLY_WEIGHTS: readonly number[] = [
  1.2, 0.7, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.0, 5.0, 5.6, 5.8, 6.2, 6.0, 5.6, 5.3, 5.2, 5.4, 5.9, 6.6, 7.0, 6.4, 4.6, 2.6,
];
