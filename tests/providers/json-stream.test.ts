// The picking JSON parser: what it keeps, what it skips, streamed items, and its three answers.

import { describe, expect, test } from "bun:test";
import { JsonPicker, type PickSpec, type PickerOptions } from "../../core/providers/_json-stream.ts";
import { oneByteChunks } from "./_harness.ts";

const encoder = new TextEncoder();

function pick(text: string, spec: PickSpec, options: PickerOptions = {}, bytewise = false) {
  const picker = new JsonPicker(spec, options);
  const bytes = encoder.encode(text);
  for (const chunk of bytewise ? oneByteChunks(bytes) : [bytes]) picker.push(chunk);
  return picker.end();
}

describe("JsonPicker", () => {
  test("keeps only the listed paths, whole subtrees for `true`", () => {
    const text = '{"id":"x","model":"m","usage":{"a":1,"b":{"c":[1,2]}},"data":[{"embedding":[0.1,-2e-3]}],"n":null}';
    const expected = { model: "m", usage: { a: 1, b: { c: [1, 2] } } };
    expect(pick(text, { model: true, usage: true })).toEqual({ status: "ok", value: expected, reason: null });
    expect(pick(text, { model: true, usage: true }, {}, true).value).toEqual(expected);
  });

  test("nested specs and array elements", () => {
    const text = '{"candidates":[{"finishReason":"STOP","content":{"parts":[]}},{"index":1}]}';
    expect(pick(text, { candidates: { "[]": { finishReason: true } } }).value).toEqual({ candidates: [{ finishReason: "STOP" }, {}] });
  });

  test("string escapes, unicode escapes and surrogate pairs; raw UTF-8 split anywhere", () => {
    const text = '{"s":"a\\"b\\\\c\\n\\u00e9\\ud83d\\ude80","t":"東京 🚀"}';
    expect(pick(text, true, {}, true).value).toEqual({ s: 'a"b\\c\né🚀', t: "東京 🚀" });
  });

  test("numbers, literals and whitespace", () => {
    expect(pick(' \r\n\t[0, -1.5e+3, 12, true, false, null]\n', true).value).toEqual([0, -1500, 12, true, false, null]);
  });

  test("kept strings past the size cap become null", () => {
    expect(pick('{"a":"0123456789","b":"ok"}', true, { maxStringBytes: 5 }).value).toEqual({ a: null, b: "ok" });
  });

  test("elements of a root array are streamed and not retained", () => {
    const items: unknown[] = [];
    const result = pick('[{"u":1,"x":2},\r\n{"u":2}]', { "[]": { u: true } }, { onItem: (v) => items.push(v) }, true);
    expect(items).toEqual([{ u: 1 }, { u: 2 }]);
    expect(result).toEqual({ status: "ok", value: [], reason: null });
  });

  test("JSON lines are streamed as a sequence", () => {
    const items: unknown[] = [];
    const result = pick('{"a":1}\n{"a":2}\n\n{"a":3}\n', { a: true }, { sequence: true, onItem: (v) => items.push(v) });
    expect(items).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(result.status).toBe("ok");
  });

  test("a truncated body is incomplete and keeps what was built", () => {
    expect(pick('{"model":"m","usage":{"in":5,"out"', true)).toEqual({
      status: "incomplete",
      value: { model: "m", usage: { in: 5 } },
      reason: "the body ended inside a JSON value",
    });
    expect(pick("", true)).toEqual({ status: "incomplete", value: undefined, reason: "empty body" });
  });

  test("junk is invalid with a reason; what came before is kept", () => {
    expect(pick('{"a":1} x', true)).toEqual({ status: "invalid", value: { a: 1 }, reason: 'trailing data after the JSON value at byte 8' });
    expect(pick('{"a":tru}', true).reason).toBe('invalid literal "tru" before byte 8');
    expect(pick('{"a":01}', true).reason).toBe('invalid number "01" before byte 7');
    expect(pick("<html>", true).reason).toBe('unexpected "<" at byte 0');
    expect(pick('{"a" 1}', true).reason).toBe('unexpected "1" at byte 5');
  });

  test("a byte-order mark is skipped", () => {
    const picker = new JsonPicker(true);
    picker.push(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
    expect(picker.end()).toEqual({ status: "ok", value: {}, reason: null });
  });

  test("a __proto__ key never reaches an object's prototype", () => {
    const value = pick('{"__proto__":{"polluted":true},"a":1}', true).value as Record<string, unknown>;
    expect(value).toEqual({ a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  test("past the kept-values budget, later values are dropped and `pruned` says so", () => {
    const picker = new JsonPicker(true, { maxKeptValues: 4 }); // the array itself is one of the four
    picker.push(encoder.encode("[1,2,3,4,5]"));
    expect(picker.end().value).toEqual([1, 2, 3]);
    expect(picker.pruned).toBe(true);
  });

  test("a skipped 1 MB string costs nothing and is not kept", () => {
    const text = `{"big":"${"x".repeat(1 << 20)}","model":"m"}`;
    expect(pick(text, { model: true }).value).toEqual({ model: "m" });
  });
});
