require ["fileinto","variables"];
if header :matches "subject" "*x*" { set "a" "${1}"; fileinto "${a}"; } else { keep; }
