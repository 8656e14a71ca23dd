import { mount } from 'svelte';
import { traceInto, type TraceEvent } from './transfer/trace.ts';
import App from './ui/App.svelte';
import { appUpdate } from './ui/app-update.svelte.ts';
import { incomingShare } from './ui/incoming-share.svelte.ts';
import { share } from './ui/share.svelte.ts';
import './ui/app.css';

// The benchmark's probe leaves an array here before the page loads, to get a timeline.
const trace = (window as { __ferryTrace?: TraceEvent[] }).__ferryTrace;
if (Array.isArray(trace)) traceInto(trace);

mount(App, { target: document.getElementById('app')! });
appUpdate.register();
incomingShare.take(
  (files) => void share.start(files),
  () => share.offering(),
);
