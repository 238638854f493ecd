// A byte-fed JSON parser that keeps only what a spec asks for ("picks"), so a 200 MB embeddings
// body or a 5 MB request costs no more memory than the few fields read from it.
//
// It also streams: the elements of a root array (Gemini's streamGenerateContent without alt=sse)
// or a sequence of top-level values (JSON lines) are handed to `onItem` as each completes.
// Like every parser here it answers ok | incomplete | invalid(reason), never throws on input.
//
// This file is the structure (containers, keys, what to keep); the leaf tokens are _json-tokens.ts.

import { ScalarToken, StringToken, unexpected } from "./_json-tokens.ts";

/** `true`: keep the whole value. An object: keep the container and only the listed keys; "[]" is
 * the spec of an array's elements. Anything not listed is skipped without being stored. */
export type PickSpec = true | { readonly [key: string]: PickSpec | undefined };

export interface PickResult {
  status: "ok" | "incomplete" | "invalid";
  /** The picked root, possibly partial (containers are linked in as soon as they open). */
  value: unknown;
  reason: string | null;
}

export interface PickerOptions {
  /** Each element of a root array is handed over when complete and not retained. */
  onItem?: (value: unknown) => void;
  /** Accept several top-level values (JSON lines); each is handed to onItem. */
  sequence?: boolean;
  maxStringBytes?: number;
  maxKeptValues?: number;
}

type Container = Record<string, unknown> | unknown[];

interface Frame {
  array: boolean;
  node: Container | null;
  spec: PickSpec | null;
  expect: number;
  key: string | null;
  items: boolean;
}

const E_KEY_OR_END = 0;
const E_KEY = 1;
const E_COLON = 2;
const E_VALUE = 3;
const E_COMMA_OR_END = 4;
const E_VALUE_OR_END = 5;

const L_NONE = 0;
const L_STRING = 1;
const L_SCALAR = 2;

const SKIP = Symbol("skip");

export class JsonPicker {
  private readonly stack: Frame[] = [];
  private root: unknown = undefined;
  private done = false;
  private invalidReason: string | null = null;
  private offset = 0;
  private bom = 0;
  private kept = 0;
  private overBudget = false;
  private prunedForBudget = false;

  private lex = L_NONE;
  private readonly string: StringToken;
  private readonly scalar = new ScalarToken();
  private readonly maxKeptValues: number;

  constructor(
    private readonly spec: PickSpec,
    private readonly options: PickerOptions = {},
  ) {
    this.string = new StringToken(options.maxStringBytes ?? 4096);
    this.maxKeptValues = options.maxKeptValues ?? 50_000;
  }

  /** True when kept values passed the budget and later ones were dropped. */
  get pruned(): boolean {
    return this.prunedForBudget;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n && this.invalidReason === null) {
      if (this.lex === L_STRING) {
        i = this.string.scan(chunk, i);
        if (i === n) break;
        i++;
        this.lex = L_NONE;
        this.endString();
        continue;
      }
      if (this.lex === L_SCALAR) {
        i = this.scalar.scan(chunk, i);
        if (i === n) break;
        this.lex = L_NONE;
        this.endScalar(this.offset + i);
        continue; // chunk[i] is structural: look at it again
      }
      const b = chunk[i]!;
      i++;
      if (this.offset + i <= 3 && this.skipBom(b, this.offset + i - 1)) continue;
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
      this.structural(b, this.offset + i - 1);
    }
    this.offset += n;
  }

  end(): PickResult {
    if (this.invalidReason === null && this.lex === L_SCALAR) {
      this.lex = L_NONE;
      this.endScalar(this.offset);
    }
    if (this.invalidReason !== null) return { status: "invalid", value: this.root, reason: this.invalidReason };
    if (this.lex === L_STRING || this.stack.length > 0) {
      return { status: "incomplete", value: this.root, reason: "the body ended inside a JSON value" };
    }
    if (!this.done && !this.options.sequence) return { status: "incomplete", value: this.root, reason: "empty body" };
    return { status: "ok", value: this.root, reason: null };
  }

  private skipBom(b: number, at: number): boolean {
    const BOM = [0xef, 0xbb, 0xbf];
    if (this.bom === at && b === BOM[at]) {
      this.bom++;
      return true;
    }
    return false;
  }

  private structural(b: number, at: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      if (this.done) return this.fail(`trailing data after the JSON value at byte ${at}`);
      return this.beginValue(b, this.spec, at);
    }
    switch (top.expect) {
      case E_KEY_OR_END:
        if (b === 0x7d) return this.close();
        if (b === 0x22) return this.beginKey(top);
        return this.fail(unexpected(b, at));
      case E_KEY:
        if (b === 0x22) return this.beginKey(top);
        return this.fail(unexpected(b, at));
      case E_COLON:
        if (b === 0x3a) {
          top.expect = E_VALUE;
          return;
        }
        return this.fail(unexpected(b, at));
      case E_VALUE_OR_END:
        if (b === 0x5d) return this.close();
        return this.beginValue(b, childSpec(top), at);
      case E_VALUE:
        return this.beginValue(b, childSpec(top), at);
      default:
        if (b === 0x2c) {
          top.expect = top.array ? E_VALUE : E_KEY;
          return;
        }
        if (b === (top.array ? 0x5d : 0x7d)) return this.close();
        return this.fail(unexpected(b, at));
    }
  }

  private beginKey(top: Frame): void {
    this.lex = L_STRING;
    this.string.begin(true, top.node !== null);
  }

  private beginValue(b: number, spec: PickSpec | null, at: number): void {
    let keep = spec !== null && !this.overBudget;
    if (keep && ++this.kept > this.maxKeptValues) {
      this.overBudget = this.prunedForBudget = true;
      keep = false;
    }
    if (b === 0x7b || b === 0x5b) {
      const array = b === 0x5b;
      const node: Container | null = keep ? (array ? [] : {}) : null;
      const items = array && this.stack.length === 0 && !this.options.sequence && this.options.onItem !== undefined;
      this.attach(node);
      this.stack.push({ array, node, spec: keep ? spec : null, expect: array ? E_VALUE_OR_END : E_KEY_OR_END, key: null, items });
      return;
    }
    if (b === 0x22) {
      this.lex = L_STRING;
      this.string.begin(false, keep);
      return;
    }
    if (!this.scalar.begin(b, keep)) return this.fail(unexpected(b, at));
    this.lex = L_SCALAR;
  }

  private attach(node: Container | null): void {
    if (node === null) return;
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      this.root = node;
      return;
    }
    if (parent.items || parent.node === null) return;
    if (Array.isArray(parent.node)) parent.node.push(node);
    else if (parent.key !== null && parent.key !== "__proto__") parent.node[parent.key] = node;
  }

  private close(): void {
    const frame = this.stack.pop()!;
    this.finishValue(frame.node ?? SKIP, true);
  }

  private finishValue(value: unknown, isContainer: boolean): void {
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      if (this.options.sequence) {
        this.root = undefined;
        this.newItem();
        if (value !== SKIP) this.options.onItem?.(value);
      } else {
        if (!isContainer) this.root = value === SKIP ? undefined : value;
        this.done = true;
      }
      return;
    }
    parent.expect = E_COMMA_OR_END;
    if (parent.items) {
      this.newItem();
      if (value !== SKIP) this.options.onItem?.(value);
      return;
    }
    if (isContainer || value === SKIP || parent.node === null) return;
    if (Array.isArray(parent.node)) parent.node.push(value);
    else if (parent.key !== null && parent.key !== "__proto__") parent.node[parent.key] = value;
  }

  /** Each streamed item gets the whole budget again. */
  private newItem(): void {
    this.kept = 0;
    this.overBudget = false;
  }

  private endString(): void {
    const text = this.string.end();
    if (this.string.isKey) {
      const top = this.stack[this.stack.length - 1]!;
      top.key = text;
      top.expect = E_COLON;
      return;
    }
    this.finishValue(this.string.keep ? text : SKIP, false);
  }

  private endScalar(at: number): void {
    const token = this.scalar.end(at);
    if (token.status === "invalid") return this.fail(token.reason);
    this.finishValue(this.scalar.keep ? token.value : SKIP, false);
  }

  private fail(reason: string): void {
    this.invalidReason ??= reason;
  }
}

function childSpec(frame: Frame): PickSpec | null {
  const spec = frame.spec;
  if (spec === null || spec === true) return spec;
  const key = frame.array ? "[]" : frame.key;
  if (key === null || !Object.hasOwn(spec, key)) return null;
  return spec[key] ?? null;
}
