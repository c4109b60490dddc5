import { Type, type Static } from 'typebox';
import { ERROR_MESSAGE } from '../http/validation.js';
import { TriggerRulesSchema } from '../loader/triggerRules.js';

export const MAX_SNIPPETS = 50;
export const MAX_SNIPPET_BYTES = 64 * 1024;
export const SNIPPET_ID_PATTERN = '^snp_[0-9a-f]{24}$';

const SnippetInput = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: SNIPPET_ID_PATTERN,
        [ERROR_MESSAGE]: 'must be the id of one of this client’s snippets, as an earlier answer gave it',
        description: 'Send back the id an earlier answer gave, to keep it; leave it out for a new snippet.',
      }),
    ),
    code: Type.String({
      minLength: 1,
      description: `HTML, usually with <script> elements, injected as written; at most ${MAX_SNIPPET_BYTES} bytes of UTF-8.`,
    }),
    description: Type.Optional(Type.String({ maxLength: 255, description: 'A note for operators. Default "".' })),
    enabled: Type.Optional(Type.Boolean({ description: 'Disabled snippets are kept but not delivered. Default true.' })),
    trigger_rules: Type.Optional(TriggerRulesSchema),
  },
  { additionalProperties: false },
);

export const PutSnippetsBody = Type.Object(
  {
    snippets: Type.Array(SnippetInput, {
      maxItems: MAX_SNIPPETS,
      description: `The client’s whole snippet set (at most ${MAX_SNIPPETS}, within the 1 MiB body limit), in injection order.`,
    }),
  },
  { additionalProperties: false },
);
export type PutSnippetsInput = Static<typeof PutSnippetsBody>;

export const Snippet = Type.Object(
  {
    id: Type.String({ description: 'Stable across edits that send it back.' }),
    code: Type.String(),
    description: Type.String(),
    enabled: Type.Boolean(),
    trigger_rules: TriggerRulesSchema,
  },
  { title: 'Snippet' },
);
export type SnippetView = Static<typeof Snippet>;
