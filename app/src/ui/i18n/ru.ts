/** The UI in Russian; the shape is English's (en.ts), checked by the type. */
import type { Messages } from './en.ts';

const rules = new Intl.PluralRules('ru');

/** The form for `n`: 1 файл, 2 файла, 5 файлов (and 1,5 файла for fractions). */
export function plural(n: number, one: string, few: string, many: string): string {
  const form = rules.select(n);
  return form === 'one' ? one : form === 'many' ? many : few;
}

const count = (n: number) => n.toLocaleString('ru');
const files = (n: number) => `${count(n)} ${plural(n, 'файл', 'файла', 'файлов')}`;

export const ru: Messages = {
  tag: 'ru',
  app: {
    title: 'Ferry — файлы по ссылке',
    tagline: 'Файлы идут прямо из браузера в браузер. Ничего не загружается на сервер.',
    home: 'Ferry, на главную',
    language: 'Язык',
    updateReady: 'Готова новая версия Ferry.',
    update: 'Обновить',
    offlineTitle: 'Нет подключения к сети',
    offline:
      'Ferry открылся с этого устройства, но для отправки и получения нужна сеть: два браузера находят друг друга через сервер Ferry. Уже полученное остаётся на этом устройстве.',
  },
  common: {
    tryAgain: 'Попробовать снова',
  },
  badLink: {
    title: 'Эта ссылка не работает',
    askAgain: 'Попросите отправителя скопировать её ещё раз.',
    sendInstead: 'Отправить файлы',
    noSenderId: 'В ссылке нет правильного идентификатора отправителя.',
    noSecret: 'В ссылке не хватает секретной части.',
    damagedSecret: 'Секретная часть ссылки повреждена.',
  },
  send: {
    pickRegion: 'Выбор файлов для отправки',
    title: 'Отправить файлы',
    dropHere: 'Перетащите сюда файлы или папку или',
    choose: 'Выберите файлы',
    hint: 'Вы получите ссылку и QR-код. Файлы пойдут прямо из этого браузера к тому, кто её откроет.',
    nothingPicked: 'Нечего отправлять: среди выбранного нет файлов.',
    sharedLost: 'Файлы, которыми поделились, не дошли до Ferry. Откройте Ferry ещё раз и выберите их здесь.',
    sharedNoFiles: 'В Ferry можно поделиться только файлами.',
    dropFailed: (reason: string) => `Не удалось прочитать перетащенные файлы: ${reason}`,
    stillOpenRegion: 'Продолжить отправку',
    stillOpen: 'Ваша раздача ещё открыта',
    addAgainWhy: (n: number) =>
      `Ссылка ниже по-прежнему работает. Браузер не может сам снова открыть файлы, поэтому, чтобы продолжить отправку, добавьте ${n === 1 ? 'тот же файл' : 'те же файлы'} ещё раз:`,
    addAgain: (n: number) => (n === 1 ? 'Добавить файл снова' : 'Добавить файлы снова'),
    notAllAdded:
      'Добавьте их все сразу: перечисленных файлов не было среди выбранных или они изменились (имя, размер и дата должны совпадать).',
    changed: (name: string) => `${name} — не тот файл, которым поделились: его содержимое изменилось.`,
    linkIs: 'Ссылка:',
    stopSharing: 'Закрыть раздачу (ссылка перестанет работать)',
    ready: 'Готово к отправке',
    gettingLink: 'Получаем ссылку…',
    shareLink: 'Ссылка для получателя',
    qr: 'QR-код ссылки',
    copy: 'Копировать ссылку',
    copied: 'Скопировано',
    share: 'Поделиться…',
    shareTitle: 'Файлы для вас',
    keepOpen: 'Не закрывайте эту страницу, пока загрузка не закончится.',
    serverReconnecting: 'Связь с сервером потеряна; переподключаемся…',
    sendOther: 'Отправить другие файлы',
    receivers: 'Получатели',
    receiver: (n: number) => `Получатель ${count(n)}`,
  },
  receive: {
    title: 'Получение файлов',
    discarded: 'Остановлено. На этом устройстве ничего из этой передачи не осталось.',
    senderOffline: 'Отправитель не в сети',
    resumedAt: (percent: number) => `Продолжено с ${count(percent)}%`,
    save: 'Сохранить',
    saveNamed: (name: string) => `Сохранить ${name}`,
    checking: 'проверка…',
    damaged: 'повреждён, загружаем заново',
    download: 'Скачать',
    saveAll: 'Сохранить все по одному',
    saveZip: 'Сохранить все одним ZIP',
    saveLimit: (limit: string) =>
      `Этот браузер может сохранять файлы размером не больше ${limit}: он держал бы каждый целиком в памяти. Чтобы сохранить файлы больше, откройте Ferry по HTTPS — там файлы сохраняются прямо из хранилища.`,
    tooLargeToSave: (name: string) => `Файл ${name} слишком велик, чтобы сохранить его в этом браузере.`,
    zipNeedsWorker: 'Этот браузер не может собрать ZIP, не держа его в памяти: сохраните файлы по одному.',
    allVerified: 'Контрольные суммы SHA-256 всех файлов совпали с отправленными.',
    discard: 'Остановить и удалить полученное',
    noAnswer: 'Отправитель не ответил за 10 секунд. Возможно, его страница Ferry закрыта или он не в сети.',
    cannotConnect: (reason: string) => `Не удалось подключиться к отправителю: ${reason}`,
    gaveUp: (problem: string) => `${problem} Полученное сохранено: попробуйте снова, когда отправитель вернётся.`,
    dropped: 'Отправитель ушёл или связь прервалась; ждём, когда он вернётся.',
    deleteFailed: (reason: string) => `Не удалось удалить полученное: ${reason}`,
    saveFailed: (reason: string) => `Не удалось сохранить: ${reason}`,
    noRoom: (needed: string, free: string) =>
      `На устройстве не хватает места: для передачи нужно ${needed}, а этому сайту доступно только ${free}. Освободите место и попробуйте снова.`,
  },
  status: {
    connecting: 'Подключение…',
    waiting: 'Ожидает начала',
    transferring: 'Передача',
    reconnecting: 'Переподключение…',
    verifying: 'Проверка…',
    done: 'Готово',
    error: 'Ошибка',
    of: (done: string, total: string) => `${done} из ${total}`,
    left: (eta: string) => `осталось ${eta}`,
    progress: 'Ход передачи',
    progressOf: (label: string) => `${label}: ход передачи`,
  },
  files: {
    summary: (n: number, size: string) => `${files(n)}, всего ${size}`,
    more: (n: number) => `…и ещё ${count(n)}`,
  },
  stored: {
    title: 'Получено на этом устройстве',
    nameAndMore: (first: string, more: number) => `${first} и ещё ${count(more)}`,
    complete: 'получено полностью, ещё не удалено',
    partly: (percent: number, total: string) => `${count(percent)}% из ${total}`,
    open: 'Открыть',
    resume: 'Продолжить',
    delete: 'Удалить',
    deleteNamed: (name: string) => `Удалить ${name}`,
    deleteFailed: (reason: string) => `Не удалось удалить: ${reason}`,
  },
  notify: {
    receivedTitle: 'Файлы получены',
    receivedBody: (n: number) =>
      `${plural(n, 'Получен', 'Получено', 'Получено')} ${files(n)}, контрольные суммы совпали.`,
    sentTitle: 'Файлы отправлены',
    sentBody: (receiver: string) => `${receiver} получил все файлы.`,
  },
  errors: {
    serverUnreachable: 'Нет связи с сервером Ferry. Проверьте подключение к сети.',
    serverAnswered: (status: string) => `Сервер Ferry ответил кодом ${status}.`,
    senderNotOnline: 'Отправитель не в сети. Возможно, его страница Ferry закрыта.',
    lostServer: 'Потеряна связь с сервером Ferry. Проверьте подключение к сети.',
    noWebRtc: 'Этот браузер не умеет устанавливать прямые соединения (WebRTC отсутствует или отключён).',
    idTaken: 'Идентификатор этой раздачи уже занят на сервере.',
    connectionFailed: (type: string) => `Не удалось соединиться (${type}).`,
    storageFull: 'На устройстве не осталось места для передачи. Полученное сохранено; освободите место и попробуйте снова.',
    senderClosed: 'Отправитель закрыл соединение.',
    senderWentAway: 'Отправитель ушёл до конца передачи (страница закрыта или связь прервалась).',
    senderStopped: (reason: string) => `Отправитель остановил передачу: ${reason}`,
  },
  units: {
    bytes: ['Б', 'кБ', 'МБ', 'ГБ', 'ТБ'],
    perSecond: (size: string) => `${size}/с`,
    none: '—',
    underASecond: 'меньше секунды',
    seconds: (s: number) => `${s} с`,
    minutes: (m: number, s: number) => `${m} мин ${s} с`,
    hours: (h: number, m: number) => `${h} ч ${m} мин`,
  },
};
