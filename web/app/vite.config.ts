import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The build lands in ../dist, which the Go binary embeds (web/web.go).
// Asset names carry content hashes, so the server marks them immutable.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` talks to a replica started by `make run`.
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8080", ws: true },
      "/playground": "http://127.0.0.1:8080",
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
