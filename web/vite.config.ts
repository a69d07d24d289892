/// <reference types="vitest/config" />
// Vite builds the workstation into dist/ (served by `orion up` at /). `npm run dev` serves it
// with hot reload and proxies the API and the WebSocket to an `orion up` on ORION_HTTP_ADDR.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const api = `http://${process.env.ORION_HTTP_ADDR ?? "127.0.0.1:8080"}`;
const proxied = ["/auth", "/me", "/instruments", "/market", "/rfqs", "/trades", "/analytics", "/admin"];

export default defineConfig({
  plugins: [react()],
  build: { chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      ...Object.fromEntries(proxied.map((p) => [p, api])),
      "/stream": { target: api.replace("http", "ws"), ws: true },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
