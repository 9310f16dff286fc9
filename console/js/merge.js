// Several listings of refunds shown as one list, in creation order: the API
// lists one status at a time, and support's queue shows three. Ids are ULIDs,
// so their order is the creation order.

/**
 * The rows to show of `streams` ([{items, done}], each listing's pages read
 * so far, each in `order`: "oldest" or "newest" first), and the listing that
 * holds the rest back (null when every listing is read to its end).
 *
 * A row is shown only when every listing with pages left has reached past it:
 * an unread page of another listing can hold nothing before it, so the order
 * is exact however far each listing was read. Reading the next page of `held`
 * shows more.
 */
export function merged(streams, order) {
  const before = order === "oldest" ? (a, b) => a < b : (a, b) => a > b;
  let held = null;
  for (const stream of streams) {
    if (stream.done) continue;
    if (stream.items.length === 0) {  // read, yet nothing known of it: nothing can be placed
      held = stream;
      break;
    }
    if (!held || before(stream.items.at(-1).id, held.items.at(-1).id)) held = stream;
  }
  const limit = held?.items.at(-1)?.id;
  const rows = streams.flatMap((stream) => stream.items)
    .filter((row) => !held || (limit !== undefined && !before(limit, row.id)))
    .sort((a, b) => (before(a.id, b.id) ? -1 : 1));
  return {rows, held};
}
