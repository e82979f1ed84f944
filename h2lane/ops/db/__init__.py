"""Database: tables (:mod:`.models`), engines and migrations (:mod:`.engine`), queries (:mod:`.store`)."""
