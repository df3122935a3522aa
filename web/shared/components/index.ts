// Components shared by Rampart's web consoles. Import the stylesheet once per app.
import './components.css';

export { Button } from './Button';
export type { ButtonProps, ButtonVariant } from './Button';
export { TextField, PasswordField, SelectField, Checkbox } from './Field';
export type { Option } from './Field';
export { Dialog } from './Dialog';
export { InlineAlert, ErrorRegion, EmptyState, ToastRegion, toast, dismissToast } from './Alert';
export type { AlertKind } from './Alert';
export { DataTable } from './DataTable';
export type { Column } from './DataTable';
export { Pagination } from './Pagination';
export { LanguageSwitcher } from './LanguageSwitcher';
export { PageHeading } from './PageHeading';
export { CopyButton } from './CopyButton';
export { TotpEnrolment, svgDataUrl, groupSecret } from './TotpEnrolment';
export { RecoveryCodes } from './RecoveryCodes';
export { LoginTable } from './LoginTable';
export type { LoginRecord } from './LoginTable';
