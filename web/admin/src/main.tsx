import { render } from 'preact';
import './app.css';
import { App } from './App';

render(<App />, document.getElementById('app')!);
