// Small progressive enhancements; every page works without this file.
(function () {
  'use strict';
  // Ask before destructive forms (delete a file, revoke a link): <form data-confirm="...">.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // Show dates in the reader's own time zone: <time datetime="..." data-local>.
  document.querySelectorAll('time[data-local]').forEach(function (el) {
    var date = new Date(el.getAttribute('datetime'));
    if (!isNaN(date.getTime())) el.title = date.toLocaleString();
  });
})();
