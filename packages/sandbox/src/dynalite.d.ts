// dynalite ships no type declarations; dynamodb.ts types the factory by what the sandbox uses of it.
declare module "dynalite" {
  const factory: unknown;
  export default factory;
}
