import { walkthrough } from './walkthrough';

await walkthrough((line) => console.log(line));
