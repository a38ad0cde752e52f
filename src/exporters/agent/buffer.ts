/**
 * A bounded buffer that never blocks: when full, the oldest item goes (and is counted), so memory stays
 * within `capacity` whatever the backend does. A batch that failed is put back in front, in order,
 * and again the oldest items go first if there is no room.
 *
 * @internal
 */
import { Chunk, Effect, Ref } from "effect"

export interface BoundedBuffer<A> {
  /** Appends `a`; returns the number of items dropped to make room (0 or 1). */
  readonly offer: (a: A) => Effect.Effect<number>
  /** Removes and returns up to `max` of the oldest items. */
  readonly takeUpTo: (max: number) => Effect.Effect<Chunk.Chunk<A>>
  /** Puts a failed batch back in front; returns how many (oldest) items were dropped to fit. */
  readonly requeue: (items: Chunk.Chunk<A>) => Effect.Effect<number>
  readonly size: Effect.Effect<number>
  readonly dropped: Effect.Effect<number>
  readonly capacity: number
}

interface State<A> {
  readonly items: Chunk.Chunk<A>
  readonly dropped: number
}

export const makeBoundedBuffer = <A>(capacity: number): Effect.Effect<BoundedBuffer<A>> =>
  Effect.map(Ref.make<State<A>>({ items: Chunk.empty(), dropped: 0 }), (ref) => {
    const fit = (items: Chunk.Chunk<A>, dropped: number): [number, State<A>] => {
      const over = Math.max(0, Chunk.size(items) - capacity)
      return [over, { items: over === 0 ? items : Chunk.drop(items, over), dropped: dropped + over }]
    }
    return {
      capacity,
      offer: (a) => Ref.modify(ref, (s) => fit(Chunk.append(s.items, a), s.dropped)),
      takeUpTo: (max) =>
        Ref.modify(ref, (s) => [Chunk.take(s.items, max), { items: Chunk.drop(s.items, max), dropped: s.dropped }]),
      requeue: (items) => Ref.modify(ref, (s) => fit(Chunk.appendAll(items, s.items), s.dropped)),
      size: Effect.map(Ref.get(ref), (s) => Chunk.size(s.items)),
      dropped: Effect.map(Ref.get(ref), (s) => s.dropped)
    }
  })
