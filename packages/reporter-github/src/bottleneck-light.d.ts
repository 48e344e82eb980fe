// The light build (no Redis clustering) that @octokit/plugin-throttling itself uses; its types are the full build's.
declare module "bottleneck/light.js" {
  import Bottleneck from "bottleneck";
  export default Bottleneck;
}
