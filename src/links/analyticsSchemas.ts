import { Type, type Static } from 'typebox';
import { DataEnvelope } from '../http/envelope.js';

/**
 * The link analytics answer (`GET /clients/{id}/links/{linkId}/analytics`), as the Client Links API
 * documents it: totals, top referrers and countries, and clicks per day of the client's zone.
 */

export const LINK_ANALYTICS_PERIODS = ['24h', '7d', '30d', '90d', 'all'] as const;
export type LinkAnalyticsPeriod = (typeof LINK_ANALYTICS_PERIODS)[number];

/** Referrers and countries listed, most clicks first. */
export const MAX_BREAKDOWN_ROWS = 50;

export const LinkAnalyticsParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255, description: 'The client’s id.' }),
  linkId: Type.String({ minLength: 1, maxLength: 255, description: 'The link’s id (lnk_…).' }),
});

export const LinkAnalyticsQuery = Type.Object(
  {
    period: Type.Optional(
      Type.Enum([...LINK_ANALYTICS_PERIODS], {
        description:
          'Default 30d. 7d, 30d and 90d are whole days of the client’s time zone, today included; 24h the last 24 hours; all from the day the link was created.',
      }),
    ),
  },
  { additionalProperties: false },
);

const Clicks = Type.Integer({ minimum: 0 });

export const LinkAnalytics = Type.Object(
  {
    link_id: Type.String(),
    period: Type.Enum([...LINK_ANALYTICS_PERIODS]),
    from: Type.String({ format: 'date-time', description: 'Start of the range, UTC.' }),
    to: Type.String({ format: 'date-time', description: 'End of the range (exclusive), UTC.' }),
    timezone: Type.String({ description: 'The client’s time zone, in which days are counted.' }),
    total_clicks: Type.Integer({ minimum: 0, description: 'Clicks by people (bots excluded).' }),
    unique_visitors: Type.Integer({
      minimum: 0,
      description: 'Distinct visitors among them. Visitors are told apart without cookies, by a hash of address and browser under a salt that changes every UTC day, so one person on two days counts twice.',
    }),
    bot_clicks: Type.Integer({ minimum: 0, description: 'Clicks flagged as bots (crawlers, link previews, scripts), counted apart and in nothing else.' }),
    referrers: Type.Array(
      Type.Object({ referrer: Type.Union([Type.String(), Type.Null()], { description: 'The referring site’s host; null for none (direct, apps, email clients that send no Referer).' }), clicks: Clicks }),
      { description: `Most clicks first, at most ${MAX_BREAKDOWN_ROWS}.` },
    ),
    countries: Type.Array(
      Type.Object({ country: Type.Union([Type.String(), Type.Null()], { description: 'ISO 3166-1 alpha-2; null where unknown.' }), clicks: Clicks }),
      { description: `Most clicks first, at most ${MAX_BREAKDOWN_ROWS}.` },
    ),
    daily_clicks: Type.Array(Type.Object({ date: Type.String({ description: 'YYYY-MM-DD in the client’s time zone.' }), clicks: Clicks }), {
      description: 'Every day the range overlaps, in order, 0 where there was no click.',
    }),
  },
  { title: 'LinkAnalytics' },
);
export type LinkAnalyticsView = Static<typeof LinkAnalytics>;
export const LinkAnalyticsEnvelope = DataEnvelope(LinkAnalytics);
