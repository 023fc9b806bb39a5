import { SluiceError } from '@sluice/pdata';

/** Tokens of the OTTL subset (conditions and value expressions); each keeps its offset for error messages. */
export type TokenKind = 'ident' | 'string' | 'int' | 'float' | 'op' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  /** For strings: the unescaped value. */
  value?: string;
  offset: number;
}

/** A condition that cannot be compiled; `offset` is where in the condition text the problem starts. */
export class OttlError extends SluiceError {
  constructor(
    readonly detail: string,
    readonly offset: number,
  ) {
    super('SLUICE_CONFIG_OTTL', `${detail} (at offset ${offset})`);
    this.name = 'OttlError';
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=']);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new OttlError('unterminated string', start);
        const c = source[i]!;
        if (c === '"') break;
        if (c === '\\') {
          const escaped = ESCAPES[source[i + 1] ?? ''];
          if (escaped === undefined) throw new OttlError(`unsupported escape "\\${source[i + 1] ?? ''}" in string`, i);
          value += escaped;
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      tokens.push({ kind: 'string', text: source.slice(start, i), value, offset: start });
    } else if (/[0-9]/.test(ch)) {
      if (/^0x/i.test(source.slice(i, i + 2))) throw new OttlError('byte literals (0x...) are not supported', start);
      const match = /^\d+(\.\d*)?([eE][+-]?\d+)?/.exec(source.slice(i))!;
      i += match[0].length;
      tokens.push({ kind: match[1] !== undefined || match[2] !== undefined ? 'float' : 'int', text: match[0], offset: start });
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      i += match[0].length;
      tokens.push({ kind: 'ident', text: match[0], offset: start });
    } else if (TWO_CHAR_OPS.has(source.slice(i, i + 2))) {
      tokens.push({ kind: 'op', text: source.slice(i, i + 2), offset: start });
      i += 2;
    } else if (ch === '<' || ch === '>') {
      tokens.push({ kind: 'op', text: ch, offset: start });
      i++;
    } else if ('()[],.-+*/'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, offset: start });
      i++;
    } else {
      throw new OttlError(`unexpected character "${ch}"`, start);
    }
  }
  tokens.push({ kind: 'end', text: '', offset: source.length });
  return tokens;
}
