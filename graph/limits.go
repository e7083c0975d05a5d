package graph

// maxPageSize caps the page size of every connection.
const maxPageSize = 100

// pageSize checks a connection's first argument; nil means 20.
func pageSize(first *int) (int, error) {
	size := 20
	if first != nil {
		size = *first
	}
	if size < 1 || size > maxPageSize {
		return 0, newFieldError(CodeValidation, "first", "first must be between 1 and %d, got %d", maxPageSize, size)
	}
	return size, nil
}

// maxFileDays caps filesPerDay's days argument.
const maxFileDays = 90

// fileDays checks filesPerDay's days argument; nil means 14.
func fileDays(days *int) (int, error) {
	n := 14
	if days != nil {
		n = *days
	}
	if n < 1 || n > maxFileDays {
		return 0, newFieldError(CodeValidation, "days", "days must be between 1 and %d, got %d", maxFileDays, n)
	}
	return n, nil
}
