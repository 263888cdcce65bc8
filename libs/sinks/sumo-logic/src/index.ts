export * from './sumo-logic-sink';
export * from './sumo-logic-config';
