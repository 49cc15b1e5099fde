export { EsdbEventStore } from './esdbEventStore.js';
