import { mount } from 'svelte';
import App from './ui/App.svelte';
import { appUpdate } from './ui/app-update.svelte.ts';
import { incomingShare } from './ui/incoming-share.svelte.ts';
import { fileSource } from './ui/picked-files.ts';
import { share } from './ui/share.svelte.ts';
import './ui/app.css';

mount(App, { target: document.getElementById('app')! });
appUpdate.register();
incomingShare.take(
  (files) => void share.start(files.map((file) => fileSource(file))),
  () => share.offering(),
);
