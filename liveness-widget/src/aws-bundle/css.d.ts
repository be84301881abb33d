/** Vite's `?inline` import of a stylesheet: its text. */
declare module '*.css?inline' {
  const css: string;
  export default css;
}

/** Vite's `?raw` import of a file: its text (tests only). */
declare module '*?raw' {
  const text: string;
  export default text;
}
