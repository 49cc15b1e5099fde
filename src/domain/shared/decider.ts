/** A domain event as the domain sees it: a type and plain data. Metadata is the store's business. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * One aggregate's behaviour as three pure functions: the state before any event, how an event
 * changes the state, and which events a command causes in a state (or a thrown DomainError).
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (command: Command, state: State) => readonly Event[];
}

/** Folds events into a state from the decider's initial state. */
export function fold<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}

/** Builds a typed event value; saves repeating `{ type, data }` casts in decide functions. */
export function event<Type extends string, Data>(type: Type, data: Data): DomainEvent<Type, Data> {
  return { type, data };
}
