import { requireClient } from '../clients/requireClient.js';
import { invalidFields, notFound, type FieldProblem } from '../http/apiError.js';
import { generateId } from '../keys/secrets.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore, SnippetRow } from '../store/metaStore.js';
import { MAX_SNIPPET_BYTES, type PutSnippetsInput, type SnippetView } from './schemas.js';

/** Per-client snippets: whole-set replacement in which a snippet keeps its id when the caller sends it back. */
export class SnippetsService {
  constructor(
    private readonly store: MetaStore,
    private readonly clock: Clock,
  ) {}

  async get(clientId: string): Promise<SnippetView[]> {
    await requireClient(this.store, clientId);
    return this.store.listSnippets(clientId);
  }

  async replace(clientId: string, input: PutSnippetsInput): Promise<SnippetView[]> {
    await requireClient(this.store, clientId);
    const current = new Set((await this.store.listSnippets(clientId)).map((s) => s.id));
    const problems: FieldProblem[] = [];
    const firstUse = new Map<string, number>();
    input.snippets.forEach((snippet, i) => {
      // The limit is on what is stored and shipped to browsers: bytes, not characters.
      const bytes = Buffer.byteLength(snippet.code, 'utf8');
      if (bytes > MAX_SNIPPET_BYTES) {
        problems.push({ field: `snippets.${i}.code`, message: `must be at most ${MAX_SNIPPET_BYTES} bytes of UTF-8 (it is ${bytes})` });
      }
      if (snippet.id === undefined) return;
      if (!current.has(snippet.id)) {
        problems.push({ field: `snippets.${i}.id`, message: `'${snippet.id}' is not the id of one of this client’s snippets; leave id out for a new snippet` });
      } else if (firstUse.has(snippet.id)) {
        problems.push({ field: `snippets.${i}.id`, message: `'${snippet.id}' is already the id of snippets.${firstUse.get(snippet.id)}` });
      } else firstUse.set(snippet.id, i);
    });
    if (problems.length > 0) throw invalidFields(problems);
    const snippets: SnippetRow[] = input.snippets.map((snippet) => ({
      id: snippet.id ?? generateId('snp_'),
      code: snippet.code,
      description: snippet.description ?? '',
      enabled: snippet.enabled ?? true,
      trigger_rules: snippet.trigger_rules ?? [],
    }));
    if (!(await this.store.replaceSnippets(clientId, snippets, this.clock()))) throw notFound('Client', clientId);
    return snippets;
  }
}
