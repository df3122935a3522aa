import { render } from 'preact';
import '../../shared/layout.css';
import { App } from './App';

render(<App />, document.getElementById('app')!);
