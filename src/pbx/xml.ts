/**
 * A small, strict XML reader and writer helpers for the CDR and report
 * documents. It handles what those documents use (elements, attributes, text,
 * character/entity references, comments, CDATA, the XML declaration) and
 * rejects anything malformed with the byte offset, so a truncated or junk
 * answer from a reporting server is reported, never half-read.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element. */
  readonly text: string;
  /** Offset of the element's `<` in the input, for error messages. */
  readonly offset: number;
}

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at offset ${offset}`);
  }
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface MutableElement {
  name: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
  offset: number;
}

/** Parse a whole document; returns its root element. */
export function parseXml(input: string): XmlElement {
  let pos = 0;
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  if (input.charCodeAt(0) === 0xfeff) pos = 1;

  const fail = (reason: string, at = pos): never => {
    throw new XmlSyntaxError(at >= input.length && !reason.includes('truncated') ? `document ends early (truncated?): ${reason}` : reason, at);
  };

  const readName = (): string => {
    const start = pos;
    if (pos >= input.length || !NAME_START.test(input[pos]!)) fail('expected a name');
    pos++;
    while (pos < input.length && NAME_CHAR.test(input[pos]!)) pos++;
    return input.slice(start, pos);
  };

  const skipSpace = (): void => {
    while (pos < input.length && /\s/.test(input[pos]!)) pos++;
  };

  const decode = (raw: string, at: number): string =>
    raw.replace(/&([^;&<\s]*);?/g, (match, ref: string, index: number) => {
      if (!match.endsWith(';')) fail('unterminated entity reference', at + index);
      if (ref.startsWith('#x') || ref.startsWith('#X')) {
        const code = Number.parseInt(ref.slice(2), 16);
        if (!/^[0-9a-fA-F]+$/.test(ref.slice(2)) || code > 0x10ffff) fail(`bad character reference &${ref};`, at + index);
        return String.fromCodePoint(code);
      }
      if (ref.startsWith('#')) {
        const code = Number.parseInt(ref.slice(1), 10);
        if (!/^[0-9]+$/.test(ref.slice(1)) || code > 0x10ffff) fail(`bad character reference &${ref};`, at + index);
        return String.fromCodePoint(code);
      }
      const value = ENTITIES[ref];
      if (value === undefined) fail(`unknown entity &${ref};`, at + index);
      return value as string;
    });

  const addText = (text: string, at: number): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (text.trim() !== '') fail('text outside the root element', at);
      return;
    }
    top.text += text;
  };

  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    if (lt < 0) {
      addText(decode(input.slice(pos), pos), pos);
      pos = input.length;
      break;
    }
    if (lt > pos) addText(decode(input.slice(pos, lt), pos), pos);
    pos = lt;
    if (input.startsWith('<?', pos)) {
      const end = input.indexOf('?>', pos + 2);
      if (end < 0) fail('unterminated processing instruction');
      pos = end + 2;
    } else if (input.startsWith('<!--', pos)) {
      const end = input.indexOf('-->', pos + 4);
      if (end < 0) fail('unterminated comment');
      pos = end + 3;
    } else if (input.startsWith('<![CDATA[', pos)) {
      const end = input.indexOf(']]>', pos + 9);
      if (end < 0) fail('unterminated CDATA section');
      addText(input.slice(pos + 9, end), pos);
      pos = end + 3;
    } else if (input.startsWith('<!DOCTYPE', pos)) {
      // The documents never carry a DTD; refusing one also rules out entity expansion attacks.
      fail('DOCTYPE is not allowed');
    } else if (input.startsWith('</', pos)) {
      const at = pos;
      pos += 2;
      const name = readName();
      skipSpace();
      if (input[pos] !== '>') fail(`expected > to close </${name}`);
      pos++;
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an open element`, at);
      else if (open.name !== name) fail(`closing tag </${name}> does not match <${open.name}>`, at);
    } else {
      const at = pos;
      pos++;
      const name = readName();
      const element: MutableElement = { name, attributes: {}, children: [], text: '', offset: at };
      let selfClosing = false;
      for (;;) {
        const before = pos;
        skipSpace();
        if (pos >= input.length) fail(`unterminated start tag <${name}`, at);
        if (input[pos] === '>') {
          pos++;
          break;
        }
        if (input.startsWith('/>', pos)) {
          pos += 2;
          selfClosing = true;
          break;
        }
        if (pos === before) fail(`expected whitespace before an attribute in <${name}>`);
        const attrName = readName();
        skipSpace();
        if (input[pos] !== '=') fail(`expected = after attribute ${attrName} in <${name}>`);
        pos++;
        skipSpace();
        const quote = input[pos];
        if (quote !== '"' && quote !== "'") fail(`expected a quoted value for attribute ${attrName} in <${name}>`);
        const end = input.indexOf(quote as string, pos + 1);
        if (end < 0) fail(`unterminated value of attribute ${attrName} in <${name}>`);
        const raw = input.slice(pos + 1, end);
        if (raw.includes('<')) fail(`< inside the value of attribute ${attrName} in <${name}>`, pos + 1);
        if (Object.hasOwn(element.attributes, attrName)) fail(`duplicate attribute ${attrName} in <${name}>`);
        element.attributes[attrName] = decode(raw, pos + 1);
        pos = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail(`second root element <${name}>`, at);
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  const open = stack[stack.length - 1];
  if (open) fail(`document ends inside <${open.name}> (truncated?)`, input.length);
  if (!root) fail('no root element', input.length);
  return root as XmlElement;
}

/** Escape text for an attribute value or element content. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as const)[c as '<']};`);
}

/** ` name="value"` pairs for the defined entries, in the given order. */
export function xmlAttributes(pairs: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  let out = '';
  for (const [name, value] of pairs) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeXml(String(value))}"`;
  }
  return out;
}
