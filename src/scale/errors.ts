/** The error type of the scale-out layer. */
import { ParkirError } from "../errors/index.js";

/**
 * A scale-out setup or state problem: a stream or bucket configured for another partition count, a
 * checkpoint record that is not one, a name NATS cannot carry. Nothing was changed by the refused call.
 */
export class ParkirScaleError extends ParkirError {
  override readonly name = "ParkirScaleError";
}
