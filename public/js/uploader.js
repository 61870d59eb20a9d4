// Resumable uploads with tus-js-client (tus 1.0.0 at /api/uploads/). Progressive: the section stays hidden,
// and the plain form above does the work, when JavaScript or tus support is missing.
(function () {
  'use strict';
  var root = document.getElementById('resumable-uploader');
  var tus = window.tus;
  if (!root || !tus || !tus.isSupported) return;

  var CHUNK_BYTES = 8 * 1024 * 1024;
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
  var endpoint = root.getAttribute('data-endpoint');
  var csrf = root.getAttribute('data-csrf');
  var list = root.querySelector('[data-list]');
  var template = root.querySelector('template[data-item]');
  var dropzone = root.querySelector('[data-dropzone]');
  var picker = root.querySelector('[data-picker]');
  root.hidden = false;

  function formatSize(bytes) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i += 1;
    }
    return (i === 0 ? bytes : bytes.toFixed(1)) + ' ' + units[i];
  }

  function formatDuration(seconds) {
    if (!isFinite(seconds)) return '';
    seconds = Math.round(seconds);
    if (seconds < 60) return seconds + ' s';
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + ' min ' + (seconds % 60) + ' s';
    return Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  }

  /** Speed as a moving average over progress events, so the estimate does not jump around. */
  function speedMeter() {
    var last = null;
    var rate = 0;
    return {
      reset: function () {
        last = null;
      },
      update: function (sent) {
        var now = Date.now();
        if (last && now > last.at) {
          var instant = ((sent - last.sent) * 1000) / (now - last.at);
          rate = rate ? rate * 0.8 + instant * 0.2 : instant;
        }
        if (!last || now - last.at >= 250) last = { at: now, sent: sent };
        return rate;
      },
    };
  }

  function messageFor(error) {
    var res = error && error.originalResponse;
    var status = res ? res.getStatus() : 0;
    if (status === 401)
      return 'Your session has ended. Sign in again, then choose the file again to resume.';
    if (status === 413)
      return res.getBody() || 'The file is too large, or over your storage quota.';
    if (status === 404 || status === 410)
      return 'The server no longer has this upload. Choose the file again to start over.';
    return (
      'The upload stopped: ' +
      (status ? 'the server answered ' + status : 'the connection was lost') +
      '.'
    );
  }

  function addFile(file) {
    var item = template.content.firstElementChild.cloneNode(true);
    var el = function (name) {
      return item.querySelector('[data-' + name + ']');
    };
    el('name').textContent = file.name;
    el('size').textContent = formatSize(file.size);
    el('bar').setAttribute('aria-label', 'Progress of ' + file.name);
    list.appendChild(item);

    var meter = speedMeter();
    var status = function (text) {
      el('status').textContent = text;
    };
    var paused = function (isPaused) {
      el('pause').hidden = isPaused;
      el('resume').hidden = !isPaused;
    };

    var upload = new tus.Upload(file, {
      endpoint: endpoint,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      headers: { 'X-CSRF-Token': csrf },
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      removeFingerprintOnSuccess: true,
      onShouldRetry: function (error) {
        var status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        // Network errors, 5xx, and a lock held by an older request are worth retrying; refusals are not.
        return status === 0 || status === 409 || status === 423 || status >= 500;
      },
      onProgress: function (sent, total) {
        var percent = total ? (sent / total) * 100 : 100;
        var rate = meter.update(sent);
        el('bar').value = percent;
        item.setAttribute('data-progress', percent.toFixed(1));
        var left = rate > 0 ? formatDuration((total - sent) / rate) + ' left' : '';
        status(
          percent.toFixed(0) +
            '% · ' +
            formatSize(sent) +
            ' of ' +
            formatSize(total) +
            (rate > 0 ? ' · ' + formatSize(rate) + '/s · ' + left : ''),
        );
      },
      onSuccess: function () {
        var id = upload.url.split('/').pop();
        el('bar').value = 100;
        item.setAttribute('data-done', 'true');
        status('Uploaded.');
        el('pause').hidden = true;
        el('resume').hidden = true;
        el('cancel').hidden = true;
        var open = el('open');
        open.href = '/files/' + encodeURIComponent(id);
        open.textContent = 'Open ' + file.name;
        open.hidden = false;
      },
      onError: function (error) {
        item.setAttribute('data-error', 'true');
        status(messageFor(error));
        paused(true);
      },
    });

    el('pause').addEventListener('click', function () {
      upload.abort();
      meter.reset();
      paused(true);
      status('Paused at ' + el('bar').value.toFixed(0) + '%.');
    });
    el('resume').addEventListener('click', function () {
      item.removeAttribute('data-error');
      paused(false);
      status('Resuming…');
      upload.start();
    });
    el('cancel').addEventListener('click', function () {
      upload.abort(true).catch(function () {});
      item.remove();
    });

    // A file chosen again after a reload or a crash continues where its previous upload stopped.
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        status('Resuming a previous upload…');
        item.setAttribute('data-resumed', 'true');
      } else {
        status('Starting…');
      }
      upload.start();
    });
  }

  function addFiles(files) {
    for (var i = 0; i < files.length; i += 1) addFile(files[i]);
  }

  picker.addEventListener('change', function () {
    addFiles(picker.files);
    picker.value = '';
  });
  ['dragenter', 'dragover'].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add('is-over');
    });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    dropzone.addEventListener(type, function () {
      dropzone.classList.remove('is-over');
    });
  });
  dropzone.addEventListener('drop', function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) addFiles(event.dataTransfer.files);
  });

  // Tell the user which uploads can still be resumed after a reload.
  tus.defaultOptions.urlStorage.findAllUploads().then(function (uploads) {
    var names = uploads
      .map(function (u) {
        return u.metadata && u.metadata.filename;
      })
      .filter(Boolean);
    if (!names.length) return;
    var note = root.querySelector('[data-unfinished]');
    note.textContent =
      'Unfinished: ' +
      names.join(', ') +
      '. Choose the same file again to continue where it stopped.';
    note.hidden = false;
  });
})();
