/** Markup known to be safe: made only by `html`, which escapes every value it is given. */
export declare class SafeHtml {
  constructor(markup: string)
  readonly markup: string
  toString(): string
}

export declare function escapeHtml(value: unknown): string

/** Escapes every interpolated value except SafeHtml; arrays are joined, null/undefined/false vanish. */
export declare function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml
