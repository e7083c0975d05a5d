import type { CodegenConfig } from "@graphql-codegen/cli";

// Operations are typed from the server's schema: a schema change that breaks
// a query fails `npm run build`.
const config: CodegenConfig = {
  schema: "../../schema/*.graphqls",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Time: "string", Int64: "number" },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
      },
    },
  },
  hooks: { afterAllFileWrite: [] },
};

export default config;
