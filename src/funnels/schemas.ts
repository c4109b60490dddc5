/**
 * Saved funnels: the dashboard's funnel builder keeps a client's funnels here so everyone with
 * access to the client shares them. Steps and window are exactly what POST /query/funnel takes,
 * so a saved funnel is run by sending its `steps` and `window_seconds` there.
 */
import { Type, type Static } from 'typebox';
import { Timestamp } from '../http/common.js';
import { ERROR_MESSAGE } from '../http/validation.js';
import { DEFAULT_WINDOW_SECONDS, FunnelStep, MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS } from '../query/schemas.js';

/** A client's funnels are a short picker list, not a data set: 100 bounds every listing. */
export const MAX_FUNNELS_PER_CLIENT = 100;
export const MAX_FUNNEL_NAME_LENGTH = 100;

const FunnelName = Type.String({
  minLength: 1,
  maxLength: MAX_FUNNEL_NAME_LENGTH,
  // At least one character that is not a space: names are stored trimmed.
  pattern: '\\S',
  [ERROR_MESSAGE]: `must be 1–${MAX_FUNNEL_NAME_LENGTH} characters, not only spaces`,
  description: 'Unique per client regardless of case and surrounding spaces; stored trimmed.',
  examples: ['Checkout'],
});
const FunnelSteps = Type.Array(FunnelStep, {
  minItems: 2,
  maxItems: 8,
  description: 'In order, as `POST /query/funnel` takes them: `{ "event": name }` or `{ "path": "/x" }`.',
});
const WindowSeconds = Type.Integer({ minimum: MIN_WINDOW_SECONDS, maximum: MAX_WINDOW_SECONDS, description: `Default ${DEFAULT_WINDOW_SECONDS}.` });

export const CreateFunnelBody = Type.Object(
  { name: FunnelName, steps: FunnelSteps, window_seconds: Type.Optional(WindowSeconds) },
  { additionalProperties: false },
);
export type CreateFunnelInput = Static<typeof CreateFunnelBody>;

export const UpdateFunnelBody = Type.Object(
  { name: Type.Optional(FunnelName), steps: Type.Optional(FunnelSteps), window_seconds: Type.Optional(WindowSeconds) },
  { additionalProperties: false },
);
export type UpdateFunnelInput = Static<typeof UpdateFunnelBody>;
export const FUNNEL_SETTABLE_FIELDS = Object.keys(UpdateFunnelBody.properties);

export const SavedFunnel = Type.Object(
  {
    id: Type.String({ examples: ['fnl_5f0c1e9a7b3d2c4e6f8a0b1c'] }),
    client_id: Type.String(),
    name: Type.String(),
    steps: Type.Array(FunnelStep),
    window_seconds: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'SavedFunnel' },
);
export type SavedFunnelView = Static<typeof SavedFunnel>;

export const FunnelParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255 }),
  funnelId: Type.String({ minLength: 1, maxLength: 255 }),
});

export const FunnelDeleteResult = Type.Object({
  success: Type.Literal(true),
  deleted: Type.String({ description: 'The id of the funnel deleted.' }),
});
