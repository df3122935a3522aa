import { render } from 'preact';
import '../../shared/layout.css';
import './account.css';
import { App } from './App';

render(<App />, document.getElementById('app')!);
