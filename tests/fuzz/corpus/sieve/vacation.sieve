require ["vacation","envelope","subaddress"];
if envelope :detail "to" "x" { vacation :days 3 :subject "away" text:
back soon
.
; }
