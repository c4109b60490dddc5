import { requireClient } from '../clients/requireClient.js';
import { invalidFields, notFound, type FieldProblem } from '../http/apiError.js';
import { findTagTemplate, paramProblems } from '../loader/tagTemplates.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore, TagRow } from '../store/metaStore.js';
import type { PutTagsInput, TagView } from './schemas.js';

/** Parameter names come from the caller; a long one is shortened where it is echoed back. */
const shown = (name: string): string => (name.length > 64 ? `${name.slice(0, 64)}…` : name);

/** Per-client tags: whole-set replacement, each tag checked against its template. */
export class TagsService {
  constructor(
    private readonly store: MetaStore,
    private readonly clock: Clock,
  ) {}

  async get(clientId: string): Promise<TagView[]> {
    await requireClient(this.store, clientId);
    return this.store.listTags(clientId);
  }

  /** Checks every tag first and reports every problem at once; stores all of them or none. */
  async replace(clientId: string, input: PutTagsInput): Promise<TagView[]> {
    const tags: TagRow[] = input.tags.map((tag) => ({
      tag_id: tag.tag_id,
      enabled: tag.enabled ?? true,
      params: tag.params ?? {},
      trigger_rules: tag.trigger_rules ?? [],
    }));
    const problems: FieldProblem[] = tags.flatMap((tag, i) => {
      const template = findTagTemplate(tag.tag_id);
      // The schema admits template ids only; this guards a catalogue that shrank under a stored body.
      if (!template) return [{ field: `tags.${i}.tag_id`, message: `'${tag.tag_id}' is not a tag template` }];
      return paramProblems(template, tag.params).map((p) => ({ field: `tags.${i}.params.${shown(p.param)}`, message: p.message }));
    });
    if (problems.length > 0) throw invalidFields(problems);
    if (!(await this.store.replaceTags(clientId, tags, this.clock()))) throw notFound('Client', clientId);
    return tags;
  }
}
