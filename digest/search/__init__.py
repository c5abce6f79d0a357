"""Search: each brief's search document and the Pagefind runs that index them."""
