declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}

/** socket.io-client 1.x and 2.x (npm aliases), as much of their API as the specs use. */
declare module 'socket.io-client-v1' {
  const io: import('./helpers/legacy-clients.js').LegacyIo;
  export default io;
}
declare module 'socket.io-client-v2' {
  const io: import('./helpers/legacy-clients.js').LegacyIo;
  export default io;
}
