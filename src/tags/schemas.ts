import { Type, type Static } from 'typebox';
import { ERROR_MESSAGE } from '../http/validation.js';
import { TAG_TEMPLATE_REFS } from '../loader/tagTemplates.js';
import { TriggerRulesSchema } from '../loader/triggerRules.js';

export const MAX_TAGS = 50;
export const MAX_TAG_PARAMS = 20;

const TagInput = Type.Object(
  {
    tag_id: Type.Enum(TAG_TEMPLATE_REFS, {
      [ERROR_MESSAGE]: `must be the id or the uuid of a tag template: ${TAG_TEMPLATE_REFS.join(', ')}`,
      description: 'The template this tag is made from, by its `id` (`ga4`) or its `uuid`, as GET /tag-templates gives them. Answers give it back as it was sent.',
    }),
    enabled: Type.Optional(Type.Boolean({ description: 'Disabled tags are kept but not delivered. Default true.' })),
    params: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 2048 }), {
        maxProperties: MAX_TAG_PARAMS,
        description: 'Values of the template’s parameters, all strings; each must match the parameter’s rule. Default {}.',
        examples: [{ measurement_id: 'G-XXXXXXXXXX' }],
      }),
    ),
    trigger_rules: Type.Optional(TriggerRulesSchema),
  },
  { additionalProperties: false },
);
export type TagInputValue = Static<typeof TagInput>;

export const PutTagsBody = Type.Object(
  {
    tags: Type.Array(TagInput, {
      maxItems: MAX_TAGS,
      description: `The client’s whole tag set (at most ${MAX_TAGS}), in the order the loader injects them.`,
    }),
  },
  { additionalProperties: false },
);
export type PutTagsInput = Static<typeof PutTagsBody>;

export const Tag = Type.Object(
  {
    tag_id: Type.String({ description: 'As it was sent: the template’s id or its uuid.' }),
    enabled: Type.Boolean(),
    params: Type.Record(Type.String(), Type.String()),
    trigger_rules: TriggerRulesSchema,
  },
  { title: 'Tag' },
);
export type TagView = Static<typeof Tag>;
