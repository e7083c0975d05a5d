package graph

import "strconv"

// maxPageSize caps the page size of every connection.
const maxPageSize = 100

func itoa(n int) string { return strconv.Itoa(n) }
