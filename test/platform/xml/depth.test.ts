// Hostile nesting: the parser's own depth limit, a typed error, no stack overflow.
import { describe, expect, it } from 'vitest';
import { MAX_XML_DEPTH, XmlSyntaxError, parseXml } from '../../../src/platform/xml/index.js';

function nested(levels: number, selfClosingLeaf = false): string {
  return `${'<a>'.repeat(levels - (selfClosingLeaf ? 1 : 0))}${selfClosingLeaf ? '<a/>' : ''}${'</a>'.repeat(levels - (selfClosingLeaf ? 1 : 0))}`;
}

describe('XML nesting depth', () => {
  it('documents up to the limit parse; deeper ones (5,000 and 100,000 levels) are refused by name', () => {
    expect(parseXml(nested(MAX_XML_DEPTH)).name).toBe('a');
    expect(parseXml(nested(MAX_XML_DEPTH, true)).name).toBe('a');
    for (const levels of [MAX_XML_DEPTH + 1, 5_000, 100_000]) {
      let error: unknown;
      try {
        parseXml(nested(levels));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(XmlSyntaxError);
      expect((error as Error).message).toMatch(/nested deeper than 256 levels/);
    }
  });

  it('siblings do not count as depth', () => {
    const wide = `<r>${'<a><b/></a>'.repeat(10_000)}</r>`;
    expect(parseXml(wide).children).toHaveLength(10_000);
  });
});
