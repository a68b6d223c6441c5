import { defineConfig } from "vite";

// The build output is embedded in the hookd binary (crates/hookd/src/console.rs includes each file by
// name), so it is one script and one stylesheet with fixed names, served under /console/.
export default defineConfig({
  base: "/console/",
  // `npx vite` serves the sources with live reload; the API calls go to a hookd running on its default port.
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    modulePreload: false,
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    rolldownOptions: {
      output: {
        entryFileNames: "assets/console.js",
        assetFileNames: "assets/console[extname]",
        codeSplitting: false,
      },
    },
  },
});
