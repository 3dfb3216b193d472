/** An actor that does nothing: the memory benchmark spawns many and weighs them. */

import { defineActor } from 'troupe';

export default defineActor({
  receive() {},
});
