import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TEXT_ROWS, textTable } from '../../src/mcp/textTable.js';

describe('MCP text tables', () => {
  it('pads columns, names missing values, and keeps each row on one line with its pipes escaped', () => {
    assert.equal(
      textTable(['path', 'views'], [['/a|b', 12], ['/multi\nline', null], ['', 3]]),
      ['| path        | views  |', '|-------------|--------|', '| /a\\|b       | 12     |', '| /multi line | (none) |', '| (none)      | 3      |'].join('\n'),
    );
    assert.equal(textTable(['x'], []), '| x |\n|---|\n(no rows)');
  });

  it('shows at most 100 rows and says how many more there are', () => {
    const rows = Array.from({ length: 250 }, (_, i) => [`/p${i}`, i]);
    const lines = textTable(['path', 'n'], rows, 1000).split('\n');
    assert.equal(lines.length, 2 + MAX_TEXT_ROWS + 1);
    assert.match(lines.at(-1) as string, /^… 900 more rows not shown/);
    assert.ok(textTable(['t'], [['x'.repeat(500)]]).split('\n')[2]!.length < 100, 'long cells are cut');
  });
});
