export { type ImageRef, parseImageRef } from "./image-ref.js";
export { EXIT, main } from "./main.js";
