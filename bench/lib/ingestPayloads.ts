/** What the ingestion benchmarks send: a desktop Chrome's page views, as the browser SDK shapes them. */

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

/** What a browser's page view looks like on the wire (no uuid: each request is a new event). */
export function pageView(i: number): Record<string, unknown> {
  return {
    event: '$pageview',
    distinct_id: `visitor-${i % 500}`,
    $session_id: `session-${i % 200}`,
    $device_id: `device-${i % 500}`,
    properties: {
      $current_url: `https://bench.example.com/products/${i % 50}?utm_source=newsletter&utm_medium=email`,
      $referrer: 'https://www.google.com/',
      $screen_width: 1920,
      $screen_height: 1080,
      $lib: 'mythic-web',
    },
  };
}

