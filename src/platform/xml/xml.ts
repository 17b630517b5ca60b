// The project's one XML reader and its escaping helpers, for the recording sidecars and for CDR/report
// documents from the PBX. Strict and small: elements, attributes, text, CDATA, character and the five
// predefined entity references, comments and the XML declaration. No DTD (so no entity expansion, and a
// hostile report cannot make it fetch or expand anything); namespace prefixes are kept as part of names.
// Anything malformed is rejected with its line and column, so a truncated answer is never half-read.

export class XmlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'XmlSyntaxError';
  }
}

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Text and CDATA directly inside this element, concatenated, exactly as decoded. */
  readonly text: string;
}

/** Characters XML 1.0 forbids anywhere (not even as character references): most C0 controls, U+FFFE/U+FFFF, lone surrogates. */
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Whether every character of a string can appear in an XML 1.0 document. */
export function isXmlSafe(value: string): boolean {
  return !FORBIDDEN.test(value);
}

/** Escape element text. '\r' as a reference, since a parser turns a literal CR into LF. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escape a double-quoted attribute value; tab/LF/CR as references, since a parser turns literal ones into spaces. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

/**
 * Text as CDATA sections, verbatim and readable: `]]>` is split across two sections and a CR (which a parser
 * would turn into LF even inside CDATA) is written as a character reference between sections.
 */
export function cdata(value: string): string {
  let out = '';
  for (const [index, piece] of value.split('\r').entries()) {
    if (index > 0) out += '&#13;';
    if (piece.length > 0) out += `<![CDATA[${piece.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
  }
  return out;
}

// XML names, as far as these documents go: ASCII letters, '_' and ':' (a prefix), and any non-ASCII letter.
const NAME = /[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]*/y;

/**
 * Elements nested deeper than this are refused: the documents read here (sidecars, CDRs, reports, SOAP) are a
 * few levels deep, and a hostile one thousands of levels deep must not exhaust the stack.
 */
export const MAX_XML_DEPTH = 256;

/** Parse a document into its root element; throws XmlSyntaxError with line and column. */
export function parseXml(source: string): XmlElement {
  // End-of-line handling as the XML spec requires, before anything else.
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  /** Whether the root element has begun: running into the end after that is a cut-off document. */
  let inRoot = false;

  const fail = (problem: string, at = pos): never => {
    // Running into the end of the input inside the root is the usual shape of a cut-off answer: say so.
    const reason = inRoot && at >= text.length ? `the document ends early (truncated): ${problem}` : problem;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new XmlSyntaxError(reason, line, column);
  };
  const skipSpace = (): void => {
    while (pos < text.length && /[ \t\n]/.test(text[pos]!)) pos++;
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const match = NAME.exec(text);
    if (!match) fail('expected a name');
    pos += match![0].length;
    return match![0];
  };
  const decode = (raw: string, start: number): string => {
    if (FORBIDDEN.test(raw)) fail('a character XML does not allow', start + raw.search(FORBIDDEN));
    return raw.replace(/&([^;&<]*);?/g, (whole, body: string, offset: number) => {
      if (!whole.endsWith(';')) fail("'&' not starting an entity reference", start + offset);
      switch (body) {
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'amp':
          return '&';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
      }
      const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
      if (!numeric) fail(`unknown entity &${body};`, start + offset);
      const code = numeric![1] !== undefined ? Number.parseInt(numeric![1], 16) : Number(numeric![2]);
      const char = code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\u0000';
      if (FORBIDDEN.test(char)) fail(`character reference &${body}; names a character XML does not allow`, start + offset);
      return char;
    });
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (text.startsWith('<?', pos)) {
        const end = text.indexOf('?>', pos + 2);
        if (end < 0) fail('unterminated processing instruction');
        pos = end + 2;
      } else if (text.startsWith('<!', pos)) {
        fail('DOCTYPE and other declarations are not accepted');
      } else return;
    }
  };

  let depth = 0;
  const readElement = (): XmlElement => {
    if (text[pos] !== '<') fail("expected '<'");
    if (++depth > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH} levels`);
    pos++;
    const name = readName();
    const attributes = new Map<string, string>();
    for (;;) {
      const hadSpace = /[ \t\n]/.test(text[pos] ?? '');
      skipSpace();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        depth--;
        return { name, attributes, children: [], text: '' };
      }
      if (text[pos] === '>') {
        pos++;
        break;
      }
      if (!hadSpace) fail('expected whitespace before an attribute');
      const attrName = readName();
      skipSpace();
      if (text[pos] !== '=') fail(`expected '=' after attribute ${attrName}`);
      pos++;
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attrName}: expected a quoted value`);
      const end = text.indexOf(quote!, pos + 1);
      if (end < 0) fail(`attribute ${attrName}: unterminated value`);
      const raw = text.slice(pos + 1, end);
      if (raw.includes('<')) fail(`attribute ${attrName}: '<' in a value`);
      if (attributes.has(attrName)) fail(`attribute ${attrName} given twice`);
      // Attribute-value normalisation: literal whitespace becomes a space; references keep what they name.
      attributes.set(attrName, decode(raw.replace(/[\t\n]/g, ' '), pos + 1));
      pos = end + 1;
    }
    const children: XmlElement[] = [];
    let content = '';
    for (;;) {
      if (pos >= text.length) fail(`element <${name}> is not closed`);
      if (text.startsWith('</', pos)) {
        pos += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (text[pos] !== '>') fail("expected '>'");
        pos++;
        depth--;
        return { name, attributes, children, text: content };
      }
      if (text.startsWith('<![CDATA[', pos)) {
        const end = text.indexOf(']]>', pos + 9);
        if (end < 0) fail('unterminated CDATA section');
        const raw = text.slice(pos + 9, end);
        if (FORBIDDEN.test(raw)) fail('a character XML does not allow', pos + 9 + raw.search(FORBIDDEN));
        content += raw;
        pos = end + 3;
      } else if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (text.startsWith('<?', pos) || text.startsWith('<!', pos)) {
        fail('unexpected declaration inside an element');
      } else if (text[pos] === '<') {
        children.push(readElement());
      } else {
        const next = text.indexOf('<', pos);
        const end = next < 0 ? text.length : next;
        const raw = text.slice(pos, end);
        if (raw.includes(']]>')) fail("']]>' in text", pos + raw.indexOf(']]>'));
        content += decode(raw, pos);
        pos = end;
      }
    }
  };

  skipMisc();
  if (pos >= text.length) fail('empty document');
  inRoot = true;
  const root = readElement();
  inRoot = false;
  skipMisc();
  if (pos < text.length) fail(text[pos] === '<' ? 'a second root element after the first' : 'content after the root element');
  return root;
}

/** Escape text for an attribute value or element content (all five predefined entities; line breaks as references). */
export function escapeXml(value: string): string {
  return escapeAttribute(value).replace(/'/g, '&apos;');
}

/** ` name="value"` pairs for the defined entries, in the given order. */
export function xmlAttributes(pairs: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  let out = '';
  for (const [name, value] of pairs) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeAttribute(String(value))}"`;
  }
  return out;
}

/**
 * An element written back as XML: attributes in their order, its text, then
 * its children, indented by two spaces a level. Mixed content loses the
 * interleaving of text and children (documents here have none that matters).
 */
export function elementToXml(element: XmlElement, indent = ''): string {
  const open = `${indent}<${element.name}${xmlAttributes([...element.attributes])}`;
  const text = element.text.trim() === '' ? '' : escapeText(element.text);
  if (element.children.length === 0) return text === '' ? `${open}/>` : `${open}>${text}</${element.name}>`;
  const inner = element.children.map((child) => elementToXml(child, `${indent}  `)).join('\n');
  return `${open}>${text}\n${inner}\n${indent}</${element.name}>`;
}
