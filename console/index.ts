// The web console for approvers and auditors at /console: server-rendered pages, no build step.
export { consoleRoutes, type ConsoleServices } from './routes';
