import { t } from '../i18n';

export interface PaginationProps {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  label?: string;
  previousLabel?: string;
  nextLabel?: string;
}

// Cursor paging: the page number, a previous and a next button.
export function Pagination({ page, hasPrevious, hasNext, onPrevious, onNext, label,
                             previousLabel, nextLabel }: PaginationProps) {
  return (
    <nav class="rp-pagination" aria-label={label ?? t('pagination.label')}>
      <button type="button" class="rp-button rp-button--secondary" disabled={!hasPrevious}
              onClick={onPrevious}>
        {previousLabel ?? t('pagination.previous')}
      </button>
      <span class="rp-pagination__page" aria-live="polite">{t('pagination.page', { n: page })}</span>
      <button type="button" class="rp-button rp-button--secondary" disabled={!hasNext}
              onClick={onNext}>
        {nextLabel ?? t('pagination.next')}
      </button>
    </nav>
  );
}
