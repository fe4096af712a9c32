require ["editheader","index","date","relational"];
addheader "X-A" "b";
deleteheader :index 1 "X-A";
if date :value "ge" "date" "year" "2020" { discard; }
